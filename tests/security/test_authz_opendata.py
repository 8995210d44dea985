"""Open data: every route × anonymous, a citizen, an officer of the publishing agency and an
officer of another agency, with the status each must get.

The machine interfaces (CKAN Action API, downloads, Data Packages, DCAT-AP catalogue) are public
and read only: everyone gets the same answer, and CKAN's write actions are refused (403
"Authorization Error") to everyone, signed in or not."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qyzmet.identity.models import Organisation
from qyzmet.opendata.models import Resource
from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.opendata.factories import dataset_make
from tests.portal.factories import citizen
from tests.security import matrix

ORG, OTHER = "od-agency", "od-other"
ACTORS = ("anonymous", "citizen", "officer", "officer_other")


@dataclass
class World:
    users: dict
    ids: dict


def _member(org: str, role: str):
    user = UserFactory()
    MembershipFactory(user=user, organisation=Organisation.objects.get(code=org), role=role)
    return user


@pytest.fixture
def world(db) -> World:
    OrganisationFactory(code=ORG)
    OrganisationFactory(code=OTHER)
    version = dataset_make("od-matrix", organisation=ORG, origin="agency")
    resource = Resource.objects.get(version=version, format="CSV")
    users = {
        "citizen": citizen(),
        "officer": _member(ORG, "officer"),
        "officer_other": _member(OTHER, "officer"),
    }
    return World(users=users, ids={"name": "od-matrix", "number": version.number,
                                   "resource": resource.pk, "org": ORG})


def _all(status: int):
    return matrix.expect(ACTORS, (status,) * len(ACTORS))


CKAN = "/api/3/action"
OD = "/open-data"
BO = "/backoffice/open/data"
OFFICER_LAST = ("anonymous", "citizen", "officer_other", "officer")


class _Csv:
    """An uploaded CSV that reads whole every time (the matrix sends one body per actor)."""

    name = "schools.csv"
    content_type = "text/csv"

    def read(self) -> bytes:
        return "district,schools\r\nЕсиль,12\r\nАлматы,30\r\n".encode()


UPLOAD = {"title_kk": "Мектептер", "title_ru": "Школы", "title_en": "Schools", "file": _Csv()}

# (kind, method, path, body, expectations)
MATRIX = [
    # --- CKAN Action API, DCAT-AP catalogue, downloads (public, read only) -------------------
    ("page", "get", "/api/3/", None, _all(200)),
    ("page", "get", "/api/3/action/", None, _all(200)),
    ("page", "get", "/api/3/openapi.json", None, _all(200)),
    ("page", "get", f"{CKAN}/package_list", None, _all(200)),
    ("page", "get", "/api/action/package_list", None, _all(200)),
    ("page", "post", "/api/action/package_create", {"name": "x"}, _all(403)),
    ("page", "get", f"{CKAN}/package_show?id={{name}}", None, _all(200)),
    ("page", "post", f"{CKAN}/package_show", {"id": "{name}"}, _all(200)),
    ("page", "get", f"{CKAN}/package_search?q=service&rows=5", None, _all(200)),
    ("page", "get", f"{CKAN}/organization_list?all_fields=true", None, _all(200)),
    ("page", "get", f"{CKAN}/organization_show?id={{org}}", None, _all(200)),
    ("page", "get", f"{CKAN}/resource_show?id={{resource}}", None, _all(200)),
    ("page", "get", f"{CKAN}/tag_list", None, _all(200)),
    ("page", "get", f"{CKAN}/status_show", None, _all(200)),
    ("page", "get", f"{CKAN}/help_show?name=package_show", None, _all(200)),
    ("page", "post", f"{CKAN}/package_create", {"name": "x"}, _all(403)),
    ("page", "post", f"{CKAN}/package_update", {"id": "{name}"}, _all(403)),
    ("page", "post", f"{CKAN}/package_delete", {"id": "{name}"}, _all(403)),
    ("page", "post", f"{CKAN}/resource_create", {"package_id": "{name}"}, _all(403)),
    ("page", "post", f"{CKAN}/organization_member_create", {"id": "{org}"}, _all(403)),
    ("page", "get", f"{OD}/catalog.jsonld", None, _all(200)),
    ("page", "get", f"{OD}/catalog.ttl", None, _all(200)),
    ("page", "post", f"{OD}/catalog.ttl", {}, _all(405)),
    ("page", "get", f"{OD}/{{name}}/v{{number}}/data.csv", None, _all(200)),
    ("page", "get", f"{OD}/{{name}}/v{{number}}/data.json", None, _all(200)),
    ("page", "post", f"{OD}/{{name}}/v{{number}}/data.csv", {}, _all(405)),
    ("page", "get", f"{OD}/{{name}}/v{{number}}/datapackage.json", None, _all(200)),
    ("page", "get", f"{OD}/{{name}}/latest/data.csv", None, _all(302)),
    ("page", "get", f"{OD}/{{name}}/latest/datapackage.json", None, _all(302)),
    # --- Public catalogue pages (anonymous, read only) ---------------------------------------
    ("page", "get", f"{OD}/", None, _all(200)),
    ("page", "get", f"{OD}/?q=service&tag=applications&format=CSV&page=2", None, _all(200)),
    ("page", "get", f"{OD}/{{name}}/", None, _all(200)),
    ("page", "get", f"{OD}/no-such-dataset/", None, _all(404)),
    # --- The agencies' side: officers and heads of the publishing agency --------------------
    ("page", "get", f"{BO}/", None, matrix.expect(ACTORS, (302, 403, 200, 200))),
    ("page", "get", f"{BO}/upload/", None, matrix.expect(ACTORS, (302, 403, 200, 200))),
    ("page", "post", f"{BO}/upload/", UPLOAD, matrix.expect(ACTORS, (302, 403, 302, 302))),
    ("page", "get", f"{BO}/{{name}}/", None, matrix.expect(ACTORS, (302, 403, 200, 404))),
    ("page", "get", f"{BO}/{{name}}/upload/", None,
     matrix.expect(ACTORS, (302, 403, 200, 404))),
    ("page", "post", f"{BO}/{{name}}/upload/", UPLOAD,
     matrix.expect(ACTORS, (302, 403, 302, 404), order=OFFICER_LAST)),
]


@pytest.mark.parametrize("row", MATRIX, ids=matrix.row_ids(MATRIX))
def test_authorization(world, row):
    got, expected = matrix.statuses(world.users, world.ids, row)
    assert got == expected
