"""How well each agency serves: every page is public and read-only. Anonymous, a citizen, an
officer of an evaluated agency and a member of staff all get the same pages; writing methods
are refused (405); an unknown agency or chart is 404 for everyone."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.identity.models import Organisation
from tests.identity.factories import MembershipFactory, UserFactory
from tests.opendata import performance_world
from tests.portal.factories import citizen
from tests.security import matrix

ACTORS = ("anonymous", "citizen", "officer", "staff")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    performance_world.build(months=3, per_month=12)
    performance_world.publish()
    officer = UserFactory()
    MembershipFactory(user=officer, organisation=Organisation.objects.get(code="perf-justice"),
                      role="officer")
    return World(
        users={"citizen": citizen(), "officer": officer, "staff": UserFactory(is_staff=True)},
        ids={"slug": "ministry-of-justice"},
    )


def _all(status: int):
    return matrix.expect(ACTORS, (status,) * len(ACTORS))


P = "/agencies/performance"
MATRIX = [
    ("page", "get", f"{P}/", None, _all(200)),
    ("page", "get", f"{P}/?period=2025&sort=rating", None, _all(200)),
    ("page", "post", f"{P}/", {}, _all(405)),
    ("page", "get", f"{P}/method/", None, _all(200)),
    ("page", "get", f"{P}/{{slug}}/", None, _all(200)),
    ("page", "get", f"{P}/no-such-agency/", None, _all(404)),
    ("page", "post", f"{P}/{{slug}}/", {}, _all(405)),
    ("page", "get", f"{P}/{{slug}}/applications.png", None, _all(200)),
    ("page", "get", f"{P}/{{slug}}/pie.png", None, _all(404)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
