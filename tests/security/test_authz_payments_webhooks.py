"""The payment providers' webhook endpoint answers alike whoever calls: no session or token
counts, only the provider's signature over the body. An unsigned post is 401 problem+json for
everyone (signed in or not); a provider the platform does not use is 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, citizen
from tests.security import matrix

ACTORS = ("anonymous", "citizen_a", "officer")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    officer = citizen()
    MembershipFactory(user=officer, organisation=agency("kz-mvd"), role="head")
    return World(users={"citizen_a": citizen(), "officer": officer}, ids={})


def _expect(anonymous, citizen_a, officer):
    return list(zip(ACTORS, (anonymous, citizen_a, officer), strict=True))


# (kind, method, path, body, expectations)
MATRIX = [
    ("api", "post", "/api/v1/payments/webhooks/sandbox", {"event": "x"}, _expect(401, 401, 401)),
    ("api", "post", "/api/v1/payments/webhooks/reference", None, _expect(401, 401, 401)),
    ("api", "post", "/api/v1/payments/webhooks/acme", None, _expect(404, 404, 404)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
