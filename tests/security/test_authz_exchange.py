"""Exchange: the directory API, the providers' access-rights API and back-office page, and the
gateway's own routes × anonymous, a citizen, an administrator of the providing organisation,
an administrator of another organisation and an officer without an administrator's role.

Access rights are changed only by the provider's administrators (403 for anyone else). The
gateway routes (/r1/) do not use sessions at all: without a client header and a signature any
caller gets the X-Road-style refusal (400), signed in or not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from qyzmet.exchange.services import exchange_sync
from qyzmet.identity.services import api_token_issue
from tests.identity.factories import MembershipFactory, UserFactory
from tests.portal.factories import agency

ACTORS = ("anonymous", "citizen", "officer", "other_admin", "provider_admin")
SERVICE = "KZ/GOV/990340020029/population/facts"
CLIENT = "KZ/GOV/990340001052/tax"
RIGHT = {"service": SERVICE, "client": CLIENT}


@dataclass
class World:
    users: dict


@pytest.fixture
def world(db) -> World:
    exchange_sync()
    citizen = UserFactory()
    admin, other, officer = UserFactory(), UserFactory(), UserFactory()
    MembershipFactory(user=admin, organisation=agency("kz-gov4c"), role="head")
    MembershipFactory(user=other, organisation=agency("kz-mvd"), role="exchange_admin")
    MembershipFactory(user=officer, organisation=agency("kz-gov4c"), role="officer")
    return World(users={"citizen": citizen, "officer": officer, "other_admin": other,
                        "provider_admin": admin})  # fmt: skip


def _client(world: World, actor: str, kind: str) -> Client:
    if actor == "anonymous":
        return Client()
    user = world.users[actor]
    if kind == "api":
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")
    client = Client()
    client.force_login(user)
    return client


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
    ("page", "get", "/r1/{service_path}", None, _expect(400, 400, 400, 400, 400)),
]


@pytest.mark.parametrize(
    ("kind", "method", "path", "body", "expected"),
    MATRIX,
    ids=[f"{m.upper()} {p}" for _, m, p, _, _ in MATRIX],
)
def test_authorization(world, kind, method, path, body, expected):
    url = path.format(service_path=f"{SERVICE}/person")
    got = {}
    for actor, _status in expected:
        client = _client(world, actor, kind)
        call = getattr(client, method)
        if kind == "api" and body is not None:
            response = call(url, body, content_type="application/json")
        elif body is not None:
            response = call(url, body)
        else:
            response = call(url)
        got[actor] = response.status_code
        if kind == "api" and response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (actor, url)
    assert got == dict(expected)


def test_right_changes_are_audited_with_the_administrator(world):
    from qyzmet.audit.models import AuditEntry

    admin = world.users["provider_admin"]
    client = _client(world, "provider_admin", "page")
    client.post("/backoffice/exchange/grant/", RIGHT)
    client.post("/backoffice/exchange/revoke/", RIGHT)
    rows = AuditEntry.objects.filter(action__startswith="exchange.right.", actor_id=admin.pk)
    assert sorted(rows.values_list("action", flat=True)) == [
        "exchange.right.granted", "exchange.right.revoked"]
