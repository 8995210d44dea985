"""Open311 GeoReport v2 with an existing client (`georeport` from PyPI, which reads services,
definitions and requests in JSON and XML) and raw HTTP for what that client lacks (version 0.3.1
has no method to POST a request): the POST, its errors and the XML error format."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from qyzmet.appeals import services
from qyzmet.appeals.models import Appeal

from .conftest import SPB

georeport = pytest.importorskip("georeport")

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "test-open311-key"
# Error descriptions follow Accept-Language (or `lang`); the default language is Kazakh.
EN = {"Accept-Language": "en"}


@pytest.fixture
def endpoint(live_server, orgs):
    services.open311_key_issue(name="tests", raw=KEY)
    return f"{live_server.url}/open311/v2"


def _post(endpoint: str, fmt: str = "json", headers: dict | None = None, **data):
    return httpx.post(f"{endpoint}/requests.{fmt}", data=data, headers=headers or EN,
                      timeout=20)


def test_services_and_definitions_with_the_georeport_client(endpoint):
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(endpoint, output_format=fmt)
        listing = client.get_service_list()
        codes = [s["service_code"] for s in listing]
        assert "improvement" in codes and "housing" in codes
        first = listing[0]
        assert {"service_code", "service_name", "description", "metadata", "type", "keywords",
                "group"} <= set(first)
        definition = client.get_service_definition("housing")
        assert definition["service_code"] == "housing"
        attributes = definition["attributes"]
        if fmt == "xml":
            attributes = attributes["attribute"]
            attributes = attributes if isinstance(attributes, list) else [attributes]
        assert attributes[0]["code"] == "entrance"


def test_post_then_read_back_in_json_and_xml(endpoint):
    response = _post(endpoint, api_key=KEY, service_code="improvement", lat=str(SPB[0]),
                     long=str(SPB[1]), description="Сломана скамейка в сквере",
                     email="someone@example.org", first_name="Ivan", last_name="Petrov",
                     media_url="https://example.org/photo.jpg")
    assert response.status_code == 201, response.text
    created = response.json()[0]
    number = created["service_request_id"]
    appeal = Appeal.objects.get(number=number)
    assert appeal.source == "open311" and appeal.contact_email == "someone@example.org"
    assert appeal.category == "improvement" and appeal.media_url.endswith("photo.jpg")
    client = georeport.GeoReport(endpoint)
    one = client.get_service_request(number)
    assert one["service_request_id"] == number and one["status"] == "open"
    assert one["service_code"] == "improvement" and one["long"] == pytest.approx(SPB[1])
    listed = client.get_service_requests(service_code="improvement", status="open")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(status="closed") == []
    xml_client = georeport.GeoReport(endpoint, output_format="xml")
    one_xml = xml_client.get_service_request(number)
    assert one_xml["service_request_id"] == number and one_xml["status"] == "open"
    by_id = client.get_service_requests(service_request_id=number)
    assert by_id[0]["description"] == "Сломана скамейка в сквере"
    token = httpx.get(f"{endpoint}/tokens/{created['token']}.json", timeout=20).json()
    assert token == [{"service_request_id": number, "token": created["token"]}]


def test_post_with_attribute_and_address_only(endpoint):
    response = _post(endpoint, api_key=KEY, service_code="housing",
                     address_string="ул. Ленина, 5", description="Не работает лифт",
                     **{"attribute[entrance]": "2"})
    assert response.status_code == 201, response.text
    created = response.json()[0]
    appeal = Appeal.objects.get(number=created["service_request_id"])
    assert appeal.attributes == {"entrance": "2"} and appeal.lat is None
    # Nobody gave this address a point before: accepted, flagged, and the client is told.
    assert appeal.place_status == "unresolved"
    assert created["service_notice"].startswith("We could not find this address on our map")


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"service_code": "improvement", "lat": "59.93", "long": "30.33",
          "description": "Яма"}, 403, "api_key"),
        ({"api_key": "wrong", "service_code": "improvement", "lat": "59.93", "long": "30.33",
          "description": "Яма"}, 403, "api_key"),
        ({"api_key": KEY, "service_code": "nope", "lat": "59.93", "long": "30.33",
          "description": "Яма"}, 400, "service_code nope not found"),
        ({"api_key": KEY, "service_code": "improvement", "description": "Яма"}, 400,
         "location"),
        ({"api_key": KEY, "service_code": "improvement", "lat": "48.85", "long": "2.35",
          "description": "Яма"}, 400, "outside"),
        ({"api_key": KEY, "service_code": "improvement", "lat": "59.93", "long": "30.33",
          "description": ""}, 400, "description"),
        ({"api_key": KEY, "service_code": "housing", "lat": "59.93", "long": "30.33",
          "description": "Лифт", "attribute[colour]": "red"}, 400, "colour"),
    ],
)
def test_post_errors_in_the_open311_format_and_nothing_stored(endpoint, data, status, words):
    response = _post(endpoint, **data)
    assert response.status_code == status
    body = response.json()
    assert isinstance(body, list) and body[0]["code"] == status
    assert words in body[0]["description"]
    assert Appeal.objects.count() == 0


def test_errors_in_xml(endpoint):
    response = _post(endpoint, fmt="xml", service_code="improvement", description="Яма",
                     lat="59.93", long="30.33")
    assert response.status_code == 403
    root = ET.fromstring(response.content)  # noqa: S314 (our own server)
    assert root.tag == "errors"
    assert root.find("error/code").text == "403"
    assert "api_key" in root.find("error/description").text
    missing = httpx.get(f"{endpoint}/requests/A-2020-9999999.xml", headers=EN, timeout=20)
    assert missing.status_code == 404
    missing_root = ET.fromstring(missing.content)  # noqa: S314 (our own server)
    assert missing_root.find("error/code").text == "404"
    unknown = httpx.get(f"{endpoint}/services/nope.json", timeout=20)
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404


def test_bad_filters(endpoint):
    r = httpx.get(f"{endpoint}/requests.json", params={"status": "pending"}, timeout=20)
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    r = httpx.get(f"{endpoint}/requests.json", params={
        "start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}, headers=EN,
        timeout=20)
    assert r.status_code == 400 and "90 days" in r.json()[0]["description"]
    r = httpx.get(f"{endpoint}/requests.json", params={"start_date": "yesterday"}, timeout=20)
    assert r.status_code == 400
