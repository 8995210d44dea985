"""The CKAN-compatible Action API: shapes as CKAN 2.10 answers them, search, errors that carry
both CKAN's envelope and RFC 9457 members, few queries, and the ckanapi client's exceptions."""

from __future__ import annotations

import json

import ckanapi
import jsonschema
import pytest
import schemathesis
from ckanapi.common import reverse_apicontroller_action
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qyzmet.opendata.models import Resource
from tests.identity.factories import OrganisationFactory
from tests.opendata.factories import dataset_make

pytestmark = pytest.mark.django_db
ACTION = "/api/3/action/"


@pytest.fixture
def catalogue():
    agency = OrganisationFactory(code="mz-health", name_en="Ministry of Health",
                                 name_ru="Министерство здравоохранения",
                                 name_kk="Денсаулық сақтау министрлігі")
    dataset_make()  # the platform's own
    dataset_make(
        "clinic-waiting-times",
        organisation=agency.code,
        origin="agency",
        title={"kk": "Емханадағы күту уақыты", "ru": "Время ожидания в поликлиниках",
               "en": "Clinic waiting times"},
        description={"kk": "Күту уақыты минутпен", "ru": "Ожидание в минутах",
                     "en": "Waiting in minutes"},
        tags=("health", "clinics"),
    )
    return agency


def _get(action: str, **params):
    return Client().get(ACTION + action, params)


def _result(response):
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True
    action = response.wsgi_request.path.rsplit("/", 1)[1]
    assert body["help"].endswith(f"/api/3/action/help_show?name={action}")
    return body["result"]


def test_package_list_and_show_by_name_and_id(catalogue):
    assert _result(_get("package_list")) == ["clinic-waiting-times", "service-applications"]
    package = _result(_get("package_show", id="clinic-waiting-times"))
    assert package["name"] == "clinic-waiting-times"
    assert package["title"] == "Clinic waiting times"  # English by default
    assert package["title_translated"]["kk"] == "Емханадағы күту уақыты"
    assert package["notes"] == "Waiting in minutes"
    assert package["organization"]["name"] == "mz-health"
    assert package["organization"]["title"] == "Ministry of Health"
    assert package["license_id"] == "CC-BY-4.0"
    assert [t["name"] for t in package["tags"]] == ["clinics", "health"]
    assert package["num_tags"] == 2 and package["num_resources"] == 2
    assert package["metadata_created"] and package["metadata_modified"]
    by_id = _result(_get("package_show", id=package["id"]))
    assert by_id["name"] == "clinic-waiting-times"
    for res in package["resources"]:
        stored = Resource.objects.get(pk=res["id"])
        assert res["url"].startswith("http://testserver/open-data/clinic-waiting-times/v1/data.")
        assert res["format"] in ("CSV", "JSON")
        assert res["mimetype"] in ("text/csv", "application/json")
        assert res["hash"] == f"sha256:{stored.sha256}"
        assert res["size"] == stored.size
        assert res["last_modified"]
        download = Client().get(res["url"].removeprefix("http://testserver"))
        assert download.content == bytes(stored.content)
        assert _result(_get("resource_show", id=res["id"]))["url"] == res["url"]


@pytest.mark.parametrize(
    ("how", "title"),
    [
        ({"lang": "ru"}, "Время ожидания в поликлиниках"),
        ({"HTTP_ACCEPT_LANGUAGE": "kk-KZ,kk;q=0.9"}, "Емханадағы күту уақыты"),
        ({"HTTP_ACCEPT_LANGUAGE": "de, ru;q=0.5"}, "Время ожидания в поликлиниках"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, "Clinic waiting times"),
    ],
)
def test_titles_follow_the_language(catalogue, how, title):
    params = {"id": "clinic-waiting-times", **{k: v for k, v in how.items() if k == "lang"}}
    headers = {k: v for k, v in how.items() if k != "lang"}
    package = _result(Client().get(ACTION + "package_show", params, **headers))
    assert package["title"] == title
    if "lang" in how:
        assert package["organization"]["title"] == "Министерство здравоохранения"


def test_post_with_a_json_body_as_ckan_clients_send(catalogue):
    response = Client().post(ACTION + "package_show", json.dumps({"id": "service-applications"}),
                             content_type="application/json")
    assert _result(response)["name"] == "service-applications"


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({}, ["clinic-waiting-times", "service-applications"]),
        ({"q": "clinic"}, ["clinic-waiting-times"]),
        ({"q": "ПОЛИКЛИНИКАХ"}, ["clinic-waiting-times"]),  # any language, any case
        ({"q": "health"}, ["clinic-waiting-times"]),  # tags
        ({"q": "waiting minutes"}, ["clinic-waiting-times"]),  # every word
        ({"q": "waiting nothing"}, []),
        ({"fq": "organization:mz-health"}, ["clinic-waiting-times"]),
        ({"fq": "organization:qyzmet"}, ["service-applications"]),
        ({"fq": "organization:nobody"}, []),
        ({"fq": "tags:health"}, ["clinic-waiting-times"]),
        ({"fq": 'tags:"applications"'}, ["service-applications"]),
        ({"fq": "res_format:CSV"}, ["clinic-waiting-times", "service-applications"]),
        ({"fq": "res_format:XML"}, []),
        ({"fq": "+organization:mz-health +res_format:JSON"}, ["clinic-waiting-times"]),
        ({"q": "tags:applications"}, ["service-applications"]),
    ],
)
def test_package_search(catalogue, params, names):
    result = _result(_get("package_search", sort="name asc", **params))
    assert [p["name"] for p in result["results"]] == names
    assert result["count"] == len(names)


def test_search_pages_sorts_and_facets(catalogue):
    first = _result(_get("package_search", rows=1, sort="name asc"))
    second = _result(_get("package_search", rows=1, start=1, sort="name asc"))
    assert first["count"] == second["count"] == 2
    assert [first["results"][0]["name"], second["results"][0]["name"]] == [
        "clinic-waiting-times", "service-applications"]
    newest = _result(_get("package_search", sort="metadata_modified desc"))
    assert newest["results"][0]["name"] == "clinic-waiting-times"
    faceted = _result(_get("package_search", **{"facet.field": '["organization","tags"]'}))
    assert faceted["facets"]["organization"] == {"mz-health": 1, "qyzmet": 1}
    assert faceted["search_facets"]["tags"]["items"][0]["count"] == 1


def test_package_search_costs_at_most_four_queries():
    for n in range(105):
        dataset_make(f"dataset-{n:03d}", tags=("t", f"n{n}"),
                     rows=[{"region": "Astana", "year": 2025, "applications": n}])
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        result = _result(client.get(ACTION + "package_search", {"rows": 100}))
    assert len(result["results"]) == 100 and result["count"] == 105
    assert all(p["num_resources"] == 2 for p in result["results"])
    assert len(queries) <= 4, [q["sql"] for q in queries]
    assert not any('"content"' in q["sql"] for q in queries)  # the files' bytes are not read


def test_organizations_tags_and_status(catalogue):
    assert _result(_get("organization_list")) == ["mz-health", "qyzmet"]
    full = _result(_get("organization_list", all_fields="true", lang="kk"))
    assert full[0]["title"] == "Денсаулық сақтау министрлігі"
    assert full[0]["package_count"] == 1
    assert full[1]["title"] == "«Qyzmet» платформасының операторы"
    shown = _result(_get("organization_show", id="mz-health", include_datasets="true"))
    assert shown["title"] == "Ministry of Health"
    assert [p["name"] for p in shown["packages"]] == ["clinic-waiting-times"]
    assert _result(_get("organization_show", id=shown["id"]))["name"] == "mz-health"
    assert _result(_get("tag_list")) == ["applications", "clinics", "health"]
    assert _result(_get("status_show"))["ckan_version"].startswith("2.10")
    assert "dataset" in _result(_get("help_show", name="package_show"))
    assert Client().get("/api/3").status_code in (200, 301)
    assert Client().get("/api/3/").json() == {"version": 3}


def _problem(response, status: int, ckan_type: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == ckan_type
    assert body["error"]["message"]
    assert body["status"] == status and body["title"] == ckan_type
    assert body["type"].startswith("https://") and body["detail"]
    return body


@pytest.mark.parametrize(
    ("action", "params", "status", "ckan_type"),
    [
        ("package_show", {"id": "nothing-here"}, 404, "Not Found Error"),
        ("package_show", {}, 409, "Validation Error"),
        ("resource_show", {"id": "not-a-uuid"}, 404, "Not Found Error"),
        ("organization_show", {"id": "nobody"}, 404, "Not Found Error"),
        ("package_search", {"rows": "many"}, 409, "Validation Error"),
        ("package_search", {"rows": "1001"}, 409, "Validation Error"),
        ("package_search", {"start": "-1"}, 409, "Validation Error"),
        ("package_search", {"sort": "drop table"}, 409, "Validation Error"),
        ("package_search", {"fq": "maintainer:x"}, 409, "Validation Error"),
        ("package_search", {"fq": 'tags:"open'}, 409, "Validation Error"),
        ("package_search", {"facet.field": '["secret"]'}, 409, "Validation Error"),
        ("package_create", {}, 403, "Authorization Error"),
        ("resource_delete", {}, 403, "Authorization Error"),
        ("no_such_action", {}, 400, "Bad Request"),
    ],
)
def test_errors_carry_both_envelopes(catalogue, action, params, status, ckan_type):
    _problem(_get(action, **params), status, ckan_type)


def test_bad_json_and_writes_by_post(catalogue):
    _problem(Client().post(ACTION + "package_show", "{not json", content_type="application/json"),
             400, "Bad Request")
    _problem(Client().post(ACTION + "package_show", "[1]", content_type="application/json"),
             400, "Bad Request")
    _problem(Client().post(ACTION + "package_create", json.dumps({"name": "x"}),
                           content_type="application/json"), 403, "Authorization Error")
    body = _problem(_get("package_search", rows="x"), 409, "Validation Error")
    assert body["error"]["rows"] == ["Invalid integer"]


def test_ckanapi_raises_its_own_exceptions_from_our_errors(catalogue):
    """ckanapi turns error bodies into exceptions (common.reverse_apicontroller_action)."""
    def raised(action, **params):
        response = _get(action, **params)
        with pytest.raises(ckanapi.CKANAPIError) as caught:
            reverse_apicontroller_action(ACTION + action, response.status_code,
                                         response.content.decode())
        return caught.value

    assert isinstance(raised("package_show", id="nothing-here"), ckanapi.NotFound)
    error = raised("package_search", rows="x")
    assert isinstance(error, ckanapi.ValidationError)
    assert error.error_dict["rows"] == ["Invalid integer"]
    assert isinstance(raised("package_create"), ckanapi.NotAuthorized)


def test_openapi_description_is_valid_openapi_3_1_and_matches_answers(catalogue):
    schema = Client().get("/api/3/openapi.json").json()
    assert schema["openapi"] == "3.1.0"
    # schemathesis' loader validates the document against the OpenAPI 3.1 meta-schema; each
    # schema object must also be valid JSON Schema 2020-12 (the 3.1 dialect).
    schemathesis.openapi.from_dict(schema).validate()
    for component in schema["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(component)
    broken = {**schema, "paths": {"/action/x": {"get": {"responses": "none"}}}}
    with pytest.raises(Exception, match="none"):
        schemathesis.openapi.from_dict(broken).validate()
    shown = _get("package_show", id="clinic-waiting-times").json()
    envelope = schema["paths"]["/action/package_show"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    jsonschema.validate(shown, {**envelope, "components": schema["components"]},
                        cls=jsonschema.Draft202012Validator)
    error = _get("package_show", id="nothing-here").json()
    jsonschema.validate(error, {"$ref": "#/components/schemas/Error",
                                "components": schema["components"]})
