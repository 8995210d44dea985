"""Open budgets: every page × anonymous, a citizen, an officer and a head of the publishing
agency, an officer of another agency, with the status each must get.

Public pages, charts and downloads answer everyone; the back office answers only officers and
heads of an agency (others signed in get 403, anonymous readers go to sign in). Uploading for an
agency one does not serve is refused (400: that agency is not among the choices)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qyzmet.budgets import demo, services
from qyzmet.budgets.models import BudgetVersion
from tests.budgets.conftest import AGENCIES, member
from tests.identity.factories import OrganisationFactory
from tests.portal.factories import citizen
from tests.security import matrix

ACTORS = ("anonymous", "citizen", "officer", "head", "officer_other")
SLUG = "ministry-of-internal-affairs"


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(db) -> World:
    orgs = {code: OrganisationFactory(code=code, name_kk=kk, name_ru=ru, name_en=en)
            for code, (kk, ru, en) in AGENCIES.items()}  # fmt: skip
    officer, head = member(orgs["kz-mvd"]), member(orgs["kz-mvd"], "head")
    services.budget_publish(actor=officer, organisation_code="kz-mvd",
                            uploads=demo.package_build(year=2025))  # fmt: skip
    return World(
        users={"citizen": citizen(), "officer": officer, "head": head,
               "officer_other": member(orgs["kz-health"])},
        ids={"slug": SLUG, "year": 2025, "code": "002"},
    )  # fmt: skip


def _expect(*statuses):
    return matrix.expect(ACTORS, statuses)


ALL = _expect(200, 200, 200, 200, 200)
B = "/backoffice/open/budgets"

# (kind, method, path, body, expectations)
MATRIX = [
    ("page", "get", "/budgets/", None, ALL),
    ("page", "get", "/budgets/{slug}/{year}/", None, ALL),
    ("page", "get", "/budgets/{slug}/{year}/chart.png", None, ALL),
    ("page", "get", "/budgets/{slug}/{year}/package.zip", None, ALL),
    ("page", "get", "/budgets/{slug}/programmes/{code}/", None, ALL),
    ("page", "get", "/budgets/{slug}/programmes/{code}/chart.png", None, ALL),
    ("page", "get", f"{B}/", None, _expect(302, 403, 200, 200, 200)),
    # An upload for the Ministry of Internal Affairs: only its officer and head get past the
    # agency check (then 400: the form sent no files); the other agency's officer cannot
    # choose it (400), anyone else 403 or sign in.
    ("page", "post", f"{B}/upload/", {"agency": "kz-mvd"}, _expect(302, 403, 400, 400, 400)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected


def test_another_agencys_officer_cannot_publish_for_it(world):
    client = Client()
    client.force_login(world.users["officer_other"])
    files = [SimpleUploadedFile(name, data) for name, data in demo.package_build(year=2024)]
    response = client.post(f"{B}/upload/", {"agency": "kz-mvd", "package": files})
    assert response.status_code == 400
    assert not BudgetVersion.objects.filter(fiscal_year=2024).exists()
