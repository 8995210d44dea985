"""The registries' endpoints (GovStack Data API, facts, myPersonalDataUsage) and the citizen's
"who looked at my data" and consent pages × anonymous, citizen A, citizen B and two officers.

Registries answer only requests forwarded by the exchange gateway (with its proof), so nobody
reaches them directly — not even a signed-in officer: 401 for everyone. That holds for a
schema-described registry loaded as a public test registry too: only a test deployment's
`open_registry_verify` opens it (tests/govstack/test_conformance_registry.py). The gateway-forwarded
behaviour (and consent, and isolation between citizens) is tested in tests/govstack/."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from qyzmet.registries.consent.services import consent_agreement_publish
from qyzmet.registries.govstack.services import schema_registry_load
from tests.govstack.conformance import description as conformance_description
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, citizen
from tests.security import matrix

ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other")
CODE = "matrix-consent"


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    a, b = citizen(), citizen()
    mvd, other = citizen(), citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    MembershipFactory(user=other, organisation=agency("kz-kpssu"), role="officer")
    consent_agreement_publish(
        actor=None, code=CODE, registry="criminal_records", category="record",
        title={"en": "x"}, text={"en": "x"},
    )  # fmt: skip
    # A public-test schema-described registry: closed like any other under the production
    # verifier (only `open_registry_verify`, chosen by a test deployment, opens it).
    schema_registry_load(description=conformance_description(), records=[
        {"uuid": "80bcb084-fa17-11ed-be56-0242ac120002", "ID": "EE123627348834",
         "FirstName": "John", "LastName": "Bon", "BirthCertificateID": "RR-3334537999"},
    ])  # fmt: skip
    return World(
        users={"citizen_a": a, "citizen_b": b, "officer": mvd, "officer_other": other},
        ids={"iin": a.iin, "code": CODE},
    )




def _expect(anonymous, citizen_a, citizen_b, officer, officer_other, *, order=ACTORS):
    values = dict(zip(ACTORS, (anonymous, citizen_a, citizen_b, officer, officer_other),
                      strict=True))  # fmt: skip
    return [(actor, values[actor]) for actor in order]


READ = {"query": {"content": {"iin": "{iin}"}}}
NOBODY = _expect(401, 401, 401, 401, 401)

# (kind, method, path, body, expectations). Data API rows are "page" rows: /data/ is mounted
# outside /api/v1/; the JSON body is sent as application/json.
MATRIX = [
    # --- registries: only through the gateway ------------------------------------------------
    ("page", "get", "/data/population/1.0", None, NOBODY),
    ("page", "post", "/data/population/1.0/read", READ, NOBODY),
    ("page", "post", "/data/population/1.0/create", {"write": {"content": {}}}, NOBODY),
    ("page", "get", "/data/population/1.0/facts/person", None, NOBODY),
    # The change feeds: personal (population) and not (companies); both only through the gateway.
    ("page", "get", "/data/population/1.0/events", None, NOBODY),
    ("page", "get", "/data/legal_entities/1.0/events?limit=5", None, NOBODY),
    ("page", "get", "/data/vehicles/1.0/events/", None, NOBODY),  # as the gateway forwards it
    ("page", "get", "/data/population/1.0/{iin}/read-value/last_name", None, NOBODY),
    ("page", "get", "/data/population/1.0/{iin}/readValue/last_name.json", None, NOBODY),
    ("page", "get", "/data/registryname/111", None, NOBODY),
    ("page", "post", "/data/registryname/111/exists", {"ID": "EE123627348834"}, NOBODY),
    ("page", "get", "/data/registryname/111/EE123627348834/readValue/FirstName.json", None,
     NOBODY),
    ("page", "delete", "/data/registryname/111/EE123627348834/delete", None, NOBODY),
    ("page", "get", "/data/MyPersonalDataUsage/1.0?userID=EE123627348834&DatabaseID=MCTS", None,
     NOBODY),
    ("page", "delete", "/data/population/1.0/{iin}/delete", None, NOBODY),
    ("page", "get", "/data/MyPersonalDataUsage/1.0", None, NOBODY),
    ("page", "get", "/data/population/1.0/openapi.json", None, _expect(200, 200, 200, 200, 200)),
    # --- the signed-in person's own list (session here; bearer tested in tests/govstack) ---
    ("page", "get", "/data/my/personal-data-usage", None, _expect(401, 200, 200, 200, 200)),
    # --- portal pages ------------------------------------------------------------------------
    ("page", "get", "/my/data/", None, _expect(302, 200, 200, 200, 200)),
    ("page", "get", "/my/consents/", None, _expect(302, 200, 200, 200, 200)),
    ("page", "post", "/my/consents/{code}/give/", {}, _expect(302, 302, 302, 302, 302)),
    ("page", "post", "/my/consents/{code}/withdraw/", {}, _expect(302, 302, 302, 302, 302)),
    ("page", "post", "/my/consents/no-such-agreement/give/", {}, _expect(302, 404, 404, 404, 404)),
]


def _format(body, ids):
    if isinstance(body, dict):
        return {k: _format(v, ids) for k, v in body.items()}
    return body.format(**ids) if isinstance(body, str) else body


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected


def test_withdrawing_touches_only_ones_own_consent(world):
    from qyzmet.registries.consent.selectors import consents_of_person

    a, b = world.users["citizen_a"], world.users["citizen_b"]
    for user in (a, b):
        client = Client()
        client.force_login(user)
        client.post(f"/my/consents/{CODE}/give/")
    client = Client()
    client.force_login(b)
    client.post(f"/my/consents/{CODE}/withdraw/")
    assert consents_of_person(subject_iin=a.iin)[0].state == "given"
    assert consents_of_person(subject_iin=b.iin)[0].state == "withdrawn"
