"""Exchange: the directory API, the providers' access-rights API and back-office page, and the
gateway's own routes × anonymous, a citizen, an administrator of the providing organisation,
an administrator of another organisation and an officer without an administrator's role.

Access rights are changed only by the provider's administrators (403 for anyone else). The
gateway routes (/r1/) do not use sessions at all: without a client header and a signature any
caller gets the X-Road-style refusal (400), signed in or not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.exchange.services import exchange_sync
from tests.identity.factories import MembershipFactory, UserFactory
from tests.portal.factories import agency
from tests.security import matrix

ACTORS = ("anonymous", "citizen", "officer", "other_admin", "provider_admin")
SERVICE = "KZ/GOV/990340020029/population/facts"
CLIENT = "KZ/GOV/990340001052/tax"
RIGHT = {"service": SERVICE, "client": CLIENT}


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    exchange_sync()
    citizen = UserFactory()
    admin, other, officer = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=admin, organisation=agency("kz-gov4c"), role="head")
    MembershipFactory(user=other, organisation=agency("kz-mvd"), role="exchange_admin")
    MembershipFactory(user=officer, organisation=agency("kz-gov4c"), role="officer")
    return World(users={"citizen": citizen, "officer": officer, "other_admin": other,
                        "provider_admin": admin},
                 ids={"service_path": f"{SERVICE}/person"})  # fmt: skip




def _expect(anonymous, citizen, officer, other_admin, provider_admin):
    return list(zip(ACTORS, (anonymous, citizen, officer, other_admin, provider_admin),
                    strict=True))  # fmt: skip


# (kind, method, path, body, expectations)
MATRIX = [
    ("api", "get", "/api/v1/exchange/subsystems", None, _expect(401, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/exchange/services", None, _expect(401, 200, 200, 200, 200)),
    ("api", "get", "/api/v1/exchange/rights", None, _expect(401, 403, 403, 200, 200)),
    ("api", "post", "/api/v1/exchange/rights", RIGHT, _expect(401, 403, 403, 403, 201)),
    ("api", "post", "/api/v1/exchange/rights/revoke", RIGHT, _expect(401, 403, 403, 403, 204)),
    ("page", "get", "/backoffice/exchange/", None, _expect(302, 403, 403, 200, 200)),
    ("page", "post", "/backoffice/exchange/grant/", RIGHT, _expect(302, 403, 403, 403, 302)),
    ("page", "post", "/backoffice/exchange/revoke/", RIGHT, _expect(302, 403, 403, 403, 302)),
    ("page", "get", "/r1/listClients", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/r1/keys", None, _expect(200, 200, 200, 200, 200)),
    ("page", "get", "/r1/{service_path}", None, _expect(400, 400, 400, 400, 400)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected


def test_right_changes_are_audited_with_the_administrator(world):
    from qyzmet.audit.models import AuditEntry

    admin = world.users["provider_admin"]
    client = matrix.client_for(world.users, "provider_admin", "page")
    client.post("/backoffice/exchange/grant/", RIGHT)
    client.post("/backoffice/exchange/revoke/", RIGHT)
    rows = AuditEntry.objects.filter(action__startswith="exchange.right.", actor_id=admin.pk)
    assert sorted(rows.values_list("action", flat=True)) == [
        "exchange.right.granted", "exchange.right.revoked"]
