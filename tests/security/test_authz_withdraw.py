"""The citizen's withdrawal pages × anonymous, the applicant, another citizen and an officer of
the responsible agency: only the applicant sees the confirmation and withdraws (someone else's
application is 404, never 403, so its existence is not revealed)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.applications import services as app_services
from tests.portal.factories import catalog_loaded, citizen, officer
from tests.security import matrix

ACTORS = ("anonymous", "citizen_a", "citizen_b", "officer")


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db, django_capture_on_commit_callbacks) -> World:
    catalog_loaded()
    a, b = citizen(), citizen()
    clerk = officer("kz-mvd-migration")
    with django_capture_on_commit_callbacks(execute=True):
        due, _ = app_services.application_submit(
            actor=a, service_code="kz.passport", language="en",
            data={"reason": "expired", "collection_office": "Алматы, ХҚКО",
                  "personal_attendance": True},
        )  # fmt: skip
    return World(users={"citizen_a": a, "citizen_b": b, "officer": clerk},
                 ids={"due": due.pk})  # fmt: skip


def _expect(anonymous, citizen_a, citizen_b, officer_, order=ACTORS):
    values = dict(zip(ACTORS, (anonymous, citizen_a, citizen_b, officer_), strict=True))
    return [(actor, values[actor]) for actor in order]


OWNER_LAST = ("anonymous", "citizen_b", "officer", "citizen_a")

# (kind, method, path, body, expectations)
MATRIX = [
    ("page", "get", "/my/applications/{due}/withdraw/", None, _expect(302, 200, 404, 404)),
    ("page", "post", "/my/applications/{due}/withdraw/", None,
     _expect(302, 302, 404, 404, order=OWNER_LAST)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
