"""Appeals, model governance and Open311: every endpoint and page × anonymous, citizen A (the
author), citizen B, an officer of the responsible organisation, an officer of another one, a
triage operator and an AI administrator, with the status each must get.

Someone else's appeal answers 404, never 403; people without any appeals role get 403 from
officer endpoints. Open311 is public for reading; writing needs an api_key (403 in Open311's
own error format without one)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.ai import services as ai_services
from qyzmet.appeals import services
from qyzmet.appeals.demo import organisations_ensure
from qyzmet.identity.models import Organisation
from tests.appeals.factories import image_bytes
from tests.identity.factories import MembershipFactory, UserFactory
from tests.portal.factories import citizen
from tests.security import matrix

ORG, OTHER = "spb-kb", "spb-odd"
JPEG = image_bytes("JPEG")
ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other", "triager",
          "ai_admin")
OWNER_LAST = ("anonymous", "citizen_b", "officer", "officer_other", "triager", "ai_admin",
              "citizen_a")
OFFICER_LAST = ("anonymous", "citizen_a", "citizen_b", "officer_other", "triager", "ai_admin",
                "officer")
TRIAGER_LAST = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other", "ai_admin",
                "triager")
CM = {"labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}


@dataclass
class World:
    users: dict
    ids: dict


def _member(org: str, role: str):
    user = UserFactory()
    MembershipFactory(user=user, organisation=Organisation.objects.get(code=org), role=role)
    return user


@pytest.fixture
def world(db, tmp_path, settings) -> World:
    settings.QYZMET_MODEL_STORE = str(tmp_path / "models")
    organisations_ensure()
    a, b = citizen(), citizen()
    officer, other = _member(ORG, "officer"), _member(OTHER, "officer")
    triager, admin = _member(ORG, "appeals_triage"), _member(ORG, "ai_admin")
    place = {"lat": 59.9343, "lon": 30.3351}
    case = services.appeal_submit(actor=a, text="Яма во дворе у подъезда", photos=[JPEG],
                                  language="ru", **place)
    services.appeal_route(actor=triager, appeal_id=case.pk, organisation_code=ORG)
    duplicate = services.appeal_submit(actor=a, text="Яма во дворе у подъезда дома",
                                       language="ru", **place)
    answered = services.appeal_submit(actor=a, text="Сломан фонарь", address="ул. Абая, 1")
    services.appeal_route(actor=triager, appeal_id=answered.pk, organisation_code=ORG)
    services.appeal_answer(actor=officer, appeal_id=answered.pk, text="Фонарь заменён")
    versions = []
    for name in ("v1", "v2"):
        (tmp_path / name).mkdir()
        mv = ai_services.model_register(actor=admin, version=name, path=str(tmp_path / name),
                                        metadata={"confusion_matrix": CM})
        ai_services.model_activate(actor=admin, version_id=mv.id)
        versions.append(mv.id)
    run = ai_services.training_run_create(actor=admin)
    ai_services.training_run_finish(run_id=run.pk, error="test")
    services.open311_key_issue(name="matrix", raw="matrix-key")
    return World(
        users={"citizen_a": a, "citizen_b": b, "officer": officer, "officer_other": other,
               "triager": triager, "ai_admin": admin},
        ids={"case": case.pk, "dup": duplicate.pk, "answered": answered.pk,
             "photo": case.photos.get().pk, "v1": versions[0], "run": run.pk,
             "number": case.number, "token": str(case.token)},
    )




def _expect(anonymous, citizen_a, citizen_b, officer, officer_other, triager, ai_admin, *,
            order=ACTORS):
    values = dict(zip(ACTORS, (anonymous, citizen_a, citizen_b, officer, officer_other, triager,
                               ai_admin), strict=True))
    return [(actor, values[actor]) for actor in order]


ALL = (200, 200, 200, 200, 200, 200, 200)
NEW = {"text": "Сломана скамейка", "lat": 59.9343, "lon": 30.3351}
B = "/backoffice/appeals"
AI = "/backoffice/ai"
O311 = "/open311/v2"

# (kind, method, path, body, expectations)
MATRIX = [
    # --- API: the citizen's appeals -----------------------------------------------------
    ("api", "post", "/api/v1/appeals", NEW, _expect(401, 201, 201, 201, 201, 201, 201)),
    ("api", "get", "/api/v1/appeals", None, _expect(401, 200, 200, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/appeals/{case}", None, _expect(401, 200, 404, 404, 404, 404, 404)),
    ("api", "post", "/api/v1/appeals/{answered}/rate", {"rating": 4},
     _expect(401, 200, 404, 404, 404, 404, 404, order=OWNER_LAST)),
    ("api", "post", "/api/v1/appeals/{answered}/reopen", {"reason": "no"},
     _expect(401, 200, 404, 404, 404, 404, 404, order=OWNER_LAST)),
    # --- API: officers --------------------------------------------------------------------
    ("api", "get", "/api/v1/appeals/triage", None, _expect(401, 403, 403, 403, 403, 200, 403)),
    ("api", "get", "/api/v1/appeals/inbox", None, _expect(401, 403, 403, 200, 200, 403, 403)),
    ("api", "post", "/api/v1/appeals/{case}/route", {"organisation_code": ORG},
     _expect(401, 403, 403, 200, 404, 200, 403, order=OFFICER_LAST)),
    ("api", "post", "/api/v1/appeals/{case}/place", {"lat": 59.9351, "lon": 30.3362},
     _expect(401, 403, 403, 200, 404, 200, 403)),
    ("api", "post", "/api/v1/appeals/{case}/take", None,
     _expect(401, 403, 403, 200, 404, 404, 403, order=OFFICER_LAST)),
    ("api", "post", "/api/v1/appeals/{case}/answer", {"text": "Сделано"},
     _expect(401, 403, 403, 200, 404, 404, 403, order=OFFICER_LAST)),
    ("api", "post", "/api/v1/appeals/{case}/extend", {"reason": "Проверка"},
     _expect(401, 403, 403, 200, 404, 404, 403, order=OFFICER_LAST)),
    ("api", "post", "/api/v1/appeals/{dup}/merge", None,
     _expect(401, 403, 403, 404, 404, 200, 403, order=TRIAGER_LAST)),
    ("api", "post", "/api/v1/appeals/{dup}/split", None,
     _expect(401, 403, 403, 404, 404, 200, 403, order=TRIAGER_LAST)),
    # --- API: model governance ------------------------------------------------------------
    ("api", "get", "/api/v1/ai/models", None, _expect(401, 403, 403, 403, 403, 403, 200)),
    ("api", "post", "/api/v1/ai/models/{v1}/activate", None,
     _expect(401, 403, 403, 403, 403, 403, 200)),
    ("api", "post", "/api/v1/ai/models/rollback", None,
     _expect(401, 403, 403, 403, 403, 403, 200)),
    ("api", "get", "/api/v1/ai/suggestions", None, _expect(401, 403, 403, 403, 403, 403, 200)),
    # --- Pages: the citizen's and the public algorithm register -------------------------
    ("page", "get", "/appeals/new/", None, _expect(302, 200, 200, 200, 200, 200, 200)),
    ("page", "get", "/my/appeals/", None, _expect(302, 200, 200, 200, 200, 200, 200)),
    ("page", "get", "/my/appeals/{case}/", None, _expect(302, 200, 404, 404, 404, 404, 404)),
    ("page", "get", "/my/appeals/{case}/photos/{photo}/", None,
     _expect(302, 200, 404, 404, 404, 404, 404)),
    ("page", "post", "/my/appeals/{answered}/rate/", {"rating": "5"},
     _expect(302, 302, 404, 404, 404, 404, 404, order=OWNER_LAST)),
    ("page", "post", "/my/appeals/{answered}/reopen/", {"reason": "no"},
     _expect(302, 302, 404, 404, 404, 404, 404, order=OWNER_LAST)),
    ("page", "get", "/appeals/map/districts.geojson", None, _expect(*ALL)),
    ("page", "get", "/appeals/places/", None, _expect(302, 200, 200, 200, 200, 200, 200)),
    # The language switch that keeps a half-filled form: anyone, back to a page of this site.
    ("page", "post", "/i18n/keep/", {"language": "ru", "switch_next": "/appeals/new/"},
     _expect(302, 302, 302, 302, 302, 302, 302)),
    ("page", "get", "/algorithms/", None, _expect(*ALL)),
    ("page", "get", "/algorithms/confusion-matrix.png", None, _expect(*ALL)),
    # --- Pages: back office appeals -------------------------------------------------------
    ("page", "get", f"{B}/", None, _expect(302, 403, 403, 200, 200, 200, 403)),
    ("page", "get", f"{B}/triage/", None, _expect(302, 403, 403, 403, 403, 200, 403)),
    ("page", "get", f"{B}/analytics/", None, _expect(302, 403, 403, 200, 200, 200, 403)),
    ("page", "get", f"{B}/analytics/weekly.png", None,
     _expect(302, 403, 403, 200, 200, 200, 403)),
    ("page", "get", f"{B}/{{case}}/", None, _expect(302, 403, 403, 200, 404, 200, 403)),
    ("page", "post", f"{B}/{{case}}/act/", {"action": "take"},
     _expect(302, 403, 403, 302, 404, 404, 403, order=OFFICER_LAST)),
    ("page", "get", f"{B}/{{case}}/photos/{{photo}}/", None,
     _expect(302, 403, 403, 200, 404, 200, 403)),
    # --- Pages: back office model governance ----------------------------------------------
    ("page", "get", f"{AI}/", None, _expect(302, 403, 403, 403, 403, 403, 200)),
    ("page", "get", f"{AI}/models/{{v1}}/", None, _expect(302, 403, 403, 403, 403, 403, 200)),
    ("page", "get", f"{AI}/models/{{v1}}/confusion.png", None,
     _expect(302, 403, 403, 403, 403, 403, 200)),
    ("page", "post", f"{AI}/models/{{v1}}/activate/", {},
     _expect(302, 403, 403, 403, 403, 403, 302)),
    ("page", "post", f"{AI}/rollback/", {}, _expect(302, 403, 403, 403, 403, 403, 302)),
    ("page", "post", f"{AI}/thresholds/", {"category": "improvement", "threshold": "0.8"},
     _expect(302, 403, 403, 403, 403, 403, 302)),
    ("page", "post", f"{AI}/train/", {}, _expect(302, 403, 403, 403, 403, 403, 302)),
    ("page", "get", f"{AI}/runs/{{run}}/", None, _expect(302, 403, 403, 403, 403, 403, 200)),
    ("page", "get", f"{AI}/suggestions/", None, _expect(302, 403, 403, 403, 403, 403, 200)),
    # --- Open311: public reads, keyed writes ----------------------------------------------
    ("page", "get", f"{O311}/services.json", None, _expect(*ALL)),
    ("page", "get", f"{O311}/services/improvement.xml", None, _expect(*ALL)),
    ("page", "get", f"{O311}/requests.json", None, _expect(*ALL)),
    ("page", "post", f"{O311}/requests.json", {"service_code": "improvement", "description": "Яма",
                                            "lat": "59.93", "long": "30.33"},
     _expect(403, 403, 403, 403, 403, 403, 403)),
    ("page", "get", f"{O311}/requests/{{number}}.json", None, _expect(*ALL)),
    ("page", "get", f"{O311}/tokens/{{token}}.json", None, _expect(*ALL)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
