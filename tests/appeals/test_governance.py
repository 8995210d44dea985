"""Model registry: activation and rollback by a person (ai_admin or staff), audited; others are
refused; the suggestion log; retraining with progress."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services
from qyzmet.ai.models import TrainingRun
from qyzmet.appeals import services
from qyzmet.audit.models import AuditEntry
from qyzmet.identity.services import api_token_issue

pytestmark = pytest.mark.django_db

CM = {"labels": ["a", "b"], "matrix": [[8, 2], [1, 9]]}


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def _register(version, admin, tmp_path):
    path = tmp_path / version
    path.mkdir()
    return ai_services.model_register(
        actor=admin, version=version, path=str(path),
        metadata={"fingerprint": f"sha256:{version}", "metrics": {"macro_f1": 0.8},
                  "confusion_matrix": CM, "thresholds": {"Благоустройство": 0.9}},
    )


def test_activate_and_rollback_over_the_api(ai_admin, citizen, tmp_path):
    v1 = _register("v1", ai_admin, tmp_path)
    v2 = _register("v2", ai_admin, tmp_path)
    admin = api(ai_admin)
    assert admin.post(f"/api/v1/ai/models/{v1.id}/activate").json()["is_active"]
    assert admin.post(f"/api/v1/ai/models/{v2.id}/activate").json()["version"] == "v2"
    assert ai_selectors.model_active().version == "v2"
    again = admin.post(f"/api/v1/ai/models/{v2.id}/activate")
    assert again.status_code == 409
    back = admin.post("/api/v1/ai/models/rollback")
    assert back.status_code == 200 and back.json()["version"] == "v1"
    active = ai_selectors.model_active()
    assert active.version == "v1" and active.activated_by == ai_admin.iin
    listing = admin.get("/api/v1/ai/models").json()
    assert {m["version"]: m["is_active"] for m in listing} == {"v1": True, "v2": False}
    actions = list(AuditEntry.objects.filter(action__startswith="ai.model.").values_list(
        "action", flat=True))
    assert actions.count("ai.model.activate") == 2 and "ai.model.rollback" in actions
    # Citizens may neither look nor change.
    assert api(citizen).post(f"/api/v1/ai/models/{v2.id}/activate").status_code == 403
    assert api(citizen).get("/api/v1/ai/models").status_code == 403
    assert ai_selectors.model_active().version == "v1"


def test_rollback_without_history(ai_admin, tmp_path):
    assert api(ai_admin).post("/api/v1/ai/models/rollback").status_code == 409
    v1 = _register("v1", ai_admin, tmp_path)
    ai_services.model_activate(actor=ai_admin, version_id=v1.id)
    response = api(ai_admin).post("/api/v1/ai/models/rollback")
    assert response.status_code == 409 and response.json()["code"] == "nothing_to_roll_back_to"


def test_every_suggestion_is_logged(citizen, ai_admin, broken_model):
    for text in ("Яма во дворе", "Сломан лифт", "Мусор не вывозят"):
        appeal = services.appeal_submit(actor=citizen, text=text, address="ул. Абая, 1")
        services.appeal_route_auto(appeal_id=appeal.pk)
        services.appeal_route_auto(appeal_id=appeal.pk)  # re-delivery logs nothing new
    log = api(ai_admin).get("/api/v1/ai/suggestions").json()["items"]
    assert len(log) == 3
    assert {row["model_version"] for row in log} == {"broken-1"}
    assert all(row["error"] for row in log)
    assert api(citizen).get("/api/v1/ai/suggestions").status_code == 403


def test_back_office_pages_and_confusion_png(ai_admin, tmp_path):
    v1 = _register("v1", ai_admin, tmp_path)
    client = Client()
    client.force_login(ai_admin)
    assert client.get("/backoffice/ai/").status_code == 200
    page = client.get(f"/backoffice/ai/models/{v1.id}/")
    assert "Macro f1" in page.content.decode() and "macro_f1" not in page.content.decode()
    png = client.get(f"/backoffice/ai/models/{v1.id}/confusion.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    ai_services.model_activate(actor=ai_admin, version_id=v1.id)
    public = Client().get("/algorithms/")
    assert public.status_code == 200 and b"v1" in public.content
    picture = Client().get("/algorithms/confusion-matrix.png")
    assert picture.content.startswith(b"\x89PNG")
    # Drawn in the reader's language: a shared cache keeps a copy per language cookie/header.
    vary = {v.strip().lower() for v in picture["Vary"].split(",")}
    assert {"cookie", "accept-language"} <= vary
    reader = Client()
    reader.cookies["django_language"] = "en"
    english = reader.get("/algorithms/confusion-matrix.png")
    assert english.content.startswith(b"\x89PNG") and english.content != picture.content


def test_threshold_override_needs_ai_admin(officer, ai_admin):
    with pytest.raises(Exception) as exc:
        services.threshold_set(actor=officer, category="improvement", threshold=0.5)
    assert getattr(exc.value, "status", 0) == 403
    services.threshold_set(actor=ai_admin, category="improvement", threshold=0.5)
    assert services.threshold_for(category="improvement", label="Благоустройство",
                                  model_thresholds={"Благоустройство": 0.9}) == 0.5
    services.threshold_set(actor=ai_admin, category="improvement", threshold=None)
    assert services.threshold_for(category="improvement", label="Благоустройство",
                                  model_thresholds={"Благоустройство": 0.9}) == 0.9


def test_training_run_page_shows_progress(ai_admin):
    run = ai_services.training_run_create(actor=ai_admin)
    ai_services.training_run_progress(run_id=run.pk, fraction=0.4, message="fitting")
    client = Client()
    client.force_login(ai_admin)
    page = client.get(f"/backoffice/ai/runs/{run.pk}/").content.decode()
    assert '<progress id="progress" max="100" value="40">' in page
    assert 'http-equiv="refresh" content="2"' in page and "fitting" in page
    ai_services.training_run_finish(run_id=run.pk, error="boom")
    page = client.get(f"/backoffice/ai/runs/{run.pk}/").content.decode()
    assert "refresh" not in page and "boom" in page


def test_retrain_from_closed_appeals(ai_admin, tiny_model_dir, citizen, officer, triager):
    """Retraining runs the real trainer and registers an inactive version with progress 1."""
    from qyzmet.appeals.tasks import retrain

    run = ai_services.training_run_create(actor=ai_admin)
    import gzip
    import itertools
    import json

    from .conftest import DATA

    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        records = [json.loads(line) for line in itertools.islice(fh, 600)]
    version_id = retrain(run_id=run.pk, records=records)
    run = TrainingRun.objects.get(pk=run.pk)
    assert run.status == "succeeded" and run.progress == 1.0, run.error
    assert version_id and not ai_selectors.model_get(version_id=version_id).is_active
