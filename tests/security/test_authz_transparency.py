"""The transparency log is public by design: every endpoint answers every actor the same way,
signed in or not, so that anyone can audit it. A completeness test fails when an endpoint is
added without a row here."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest

from qyzmet.transparency.services import log_append
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, citizen
from tests.security import matrix

ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer", "officer_other")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    a, b, mvd, other = citizen(), citizen(), citizen(), citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    MembershipFactory(user=other, organisation=agency("kz-kpssu"), role="officer")
    leaves = [log_append(kind="document-issued", ref=f"r{i}", data={"i": i}) for i in range(3)]
    return World(
        users={"citizen_a": a, "citizen_b": b, "officer": mvd, "officer_other": other},
        ids={"hash": base64.b64encode(bytes(leaves[1].leaf_hash)).decode()},
    )




def _expect(anonymous, citizen_a, citizen_b, officer, officer_other):
    values = (anonymous, citizen_a, citizen_b, officer, officer_other)
    return list(zip(ACTORS, values, strict=True))


EVERYONE = _expect(200, 200, 200, 200, 200)

# (kind, method, path, query, expectations)
MATRIX = [
    ("api", "get", "/api/v1/transparency/sth", None, EVERYONE),
    ("api", "get", "/api/v1/transparency/key", None, EVERYONE),
    ("api", "get", "/api/v1/transparency/proof", {"hash": "{hash}", "tree_size": 3}, EVERYONE),
    ("api", "get", "/api/v1/transparency/consistency", {"first": 1, "second": 3}, EVERYONE),
    ("api", "get", "/api/v1/transparency/entries", {"start": 0, "end": 2}, EVERYONE),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
