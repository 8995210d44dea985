"""The GovStack Data API on every registry: each operation, its errors, and the audit of reads."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.registries.govstack.gateway import gateway_proof_headers
from tests.govstack.factories import CriminalRecordFactory, OwnershipFactory, VehicleFactory
from tests.govstack.helpers import CLIENT_ID, PURPOSE, gateway_call
from tests.registries.factories import EntityFactory, PersonFactory, _iin

pytestmark = pytest.mark.django_db


def _new_iin(n: int) -> str:
    return _iin(500 + n, dt.date(1985, 3, 4), "F")


def _cases():
    """(registry, key, new record content, a field to change and its new value)."""
    return {
        "population": lambda: (
            "iin",
            {"iin": _new_iin(1), "last_name": "Серікова", "first_name": "Айгүл",
             "patronymic": "Нұрланқызы", "birth_date": "1985-03-04", "sex": "F",
             "citizenship": "KAZ", "mother_iin": PersonFactory(sex="F").iin},
            ("last_name", "Жұмабаева"),
        ),
        "legal_entities": lambda: (
            "bin",
            {"bin": EntityFactory.build().bin, "name": "ТОО «Жаңа»", "kind": "LLP",
             "registered_on": "2021-01-10", "head_iin": PersonFactory().iin,
             "address": "г. Алматы, ул. Абая, 1", "activity_code": "62010"},
            ("status", "liquidated"),
        ),
        "vehicles": lambda: (
            "vin",
            {"vin": "JTNB11HK0J3000001", "plate": "777KZA02", "make": "Toyota",
             "model": "Camry", "year": 2018, "colour": "черный",
             "registered_on": "2018-05-05", "owner_iin": PersonFactory().iin},
            ("colour", "белый"),
        ),
        "real_estate": lambda: (
            "cadastral_number",
            {"cadastral_number": "20-311-099-001", "kind": "house",
             "address": "г. Астана, ул. Бейбітшілік, 5", "area": "120.50",
             "registered_on": "2010-09-01"},
            ("area", "121.00"),
        ),
        "criminal_records": lambda: (
            "record_number",
            {"record_number": "KUI-2020-000777", "iin": PersonFactory().iin,
             "article": "190 ч.2", "article_title": "Мошенничество",
             "verdict_date": "2020-02-02", "court": "Есильский районный суд г. Астаны",
             "sentence": "штраф"},
            ("expunged_on", "2023-02-02"),
        ),
    }  # fmt: skip


@pytest.mark.parametrize("registry", list(_cases()))
def test_every_operation_on_every_registry(registry):
    key, content, (field, value) = _cases()[registry]()
    base = f"/data/{registry}/1.0"
    user = PersonFactory().iin

    created = gateway_call("POST", f"{base}/create", {"write": {"content": content}}, user=user)
    assert created.status_code == 200, created.content
    record = created.json()["content"]
    assert record[key] == content[key]
    again = gateway_call("POST", f"{base}/create", {"write": {"content": content}}, user=user)
    assert again.status_code == 409 and again.json()["code"] == "govstack.exists"

    query = {"query": {"content": {key: content[key]}}}
    read = gateway_call("POST", f"{base}/read", query, user=user)
    assert read.status_code == 200 and read.json()["content"] == record

    exists = gateway_call("POST", f"{base}/exists", query, user=user)
    assert exists.json() == {"answer": {"status": True, "message": "Object found from database."}}
    absent = {"query": {"content": {key: "0" + content[key][1:]}}}
    if registry in {"population", "legal_entities"}:
        absent = {"query": {"content": {key: PersonFactory.build().iin}}}
    assert (
        gateway_call("POST", f"{base}/exists", absent, user=user).json()["answer"]["status"]
        is False
    )

    listed = gateway_call("GET", f"{base}?query.{key}={content[key]}&page_size=5", user=user)
    assert listed.status_code == 200
    assert listed.json()["count"] == 1 and listed.json()["results"] == [record]

    body = {"query": {"content": {key: content[key]}}, "write": {"content": {field: value}}}
    updated = gateway_call("PUT", f"{base}/update", body, user=user)
    assert updated.status_code == 200, updated.content
    assert updated.json()["content"][field] == value

    entries = gateway_call("PUT", f"{base}/update-entries", body, user=user)
    assert entries.status_code == 200 and entries.json() == {"count": 1}

    upsert = gateway_call("PUT", f"{base}/update-or-create", body, user=user)
    assert upsert.status_code == 200 and upsert.json()["content"][field] == value

    value_text = gateway_call("GET", f"{base}/{content[key]}/read-value/{field}", user=user)
    assert value_text.status_code == 200 and value_text.content.decode() == value
    value_json = gateway_call("GET", f"{base}/{content[key]}/read-value/{field}.json", user=user)
    assert value_json.json() == value  # the value itself, as JSON (GovStack readValue)

    deleted = gateway_call("DELETE", f"{base}/{content[key]}/delete", user=user)
    assert deleted.status_code == 204
    gone = gateway_call("POST", f"{base}/read", query, user=user)
    assert gone.status_code == 404 and gone.json()["code"] == "govstack.not_found"

    recreated = gateway_call("POST", f"{base}/updateOrCreate", {
        "query": {"content": {key: content[key]}},
        "write": {"content": {k: v for k, v in content.items() if k != key}},
    }, user=user)  # fmt: skip
    assert recreated.status_code == 200 and recreated.json()["content"][key] == content[key]
    by_query = gateway_call("DELETE", f"{base}/delete", query, user=user)
    assert by_query.status_code == 204
    changes = AuditEntry.objects.filter(action__startswith=f"govstack.{registry}.")
    assert {e.action.rsplit(".", 1)[1] for e in changes} == {"create", "update", "delete"}
    assert all(e.data["client"] == CLIENT_ID for e in changes)


def test_list_search_filter_ordering_and_pages():
    owner = PersonFactory()
    for n, make in enumerate(["Kia", "Lada", "Toyota", "Kia", "Hyundai"]):
        VehicleFactory(owner_iin=owner.iin, make=make, year=2010 + n)
    base = "/data/vehicles/1.0"
    page1 = gateway_call("GET", f"{base}?ordering=-year&page_size=2", user=owner.iin).json()
    assert page1["count"] == 5 and [r["year"] for r in page1["results"]] == [2014, 2013]
    assert "previous" not in page1 and "page=2" in page1["next"]
    page3 = gateway_call("GET", f"{base}?ordering=-year&page_size=2&page=3", user=owner.iin)
    assert [r["year"] for r in page3.json()["results"]] == [2010] and "next" not in page3.json()
    kia = gateway_call("GET", f"{base}?filter=make:Kia", user=owner.iin).json()
    assert kia["count"] == 2
    search = gateway_call("GET", f"{base}?search=hyun", user=owner.iin).json()
    assert [r["make"] for r in search["results"]] == ["Hyundai"]
    bad = gateway_call("GET", f"{base}?ordering=colourz", user=owner.iin)
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/ordering"
    bad = gateway_call("GET", f"{base}?page_size=1000", user=owner.iin)
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/page_size"


@pytest.mark.parametrize(
    ("path", "body", "pointer"),
    [
        ("create", "not json", ""),
        ("create", [], ""),
        ("create", {"query": {}}, "/write"),
        ("create", {"write": {"content": "x"}}, "/write/content"),
        ("create", {"write": {"content": {"iin": "123"}}}, "/write/content/iin"),
        ("create", {"write": {"content": {"address": "x"}}}, "/write/content/address"),
        ("create", {"write": {"content": {"shoe_size": 42}}}, "/write/content/shoe_size"),
        ("create", {"write": {"content": {"birth_date": "5.3.1990"}}}, "/write/content/birth_date"),
        ("read", {"query": {"content": {}}}, "/query/content"),
        ("read", {"query": {"content": {"sex": "X"}}}, "/query/content/sex"),
        ("update", {"query": {"content": {"sex": "M"}}}, "/write"),
        ("update", {"query": {"content": {"sex": "M"}}, "write": {"content": {}}},
         "/write/content"),
    ],
)  # fmt: skip
def test_malformed_body_is_400_naming_the_field(path, body, pointer):
    user = PersonFactory().iin
    method = "PUT" if path == "update" else "POST"
    raw = body.encode() if isinstance(body, str) else None
    response = gateway_call(method, f"/data/population/1.0/{path}", body, raw=raw, user=user)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "govstack.invalid_body"
    assert pointer in [e["pointer"] for e in problem["errors"]]


def test_required_fields_are_named_on_create():
    response = gateway_call(
        "POST", "/data/vehicles/1.0/create", {"write": {"content": {"vin": "X"}}},
        user=PersonFactory().iin,
    )  # fmt: skip
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert {"/write/content/plate", "/write/content/owner_iin"} <= pointers


def test_unknown_registry_version_operation_and_method():
    user = PersonFactory().iin
    assert gateway_call("GET", "/data/weather/1.0", user=user).json()["code"] == (
        "govstack.unknown_registry"
    )
    assert gateway_call("GET", "/data/population/2.0", user=user).status_code == 404
    assert gateway_call("POST", "/data/population/1.0/explode", {}, user=user).status_code == 404
    wrong = gateway_call("GET", "/data/population/1.0/create", user=user)
    assert wrong.status_code == 405


def test_update_that_matches_many_is_refused():
    owner = PersonFactory()
    VehicleFactory(owner_iin=owner.iin)
    VehicleFactory(owner_iin=owner.iin)
    body = {"query": {"content": {"owner_iin": owner.iin}}, "write": {"content": {"colour": "x"}}}
    response = gateway_call("PUT", "/data/vehicles/1.0/update", body, user=owner.iin)
    assert response.status_code == 409 and response.json()["code"] == "govstack.ambiguous"
    entries = gateway_call("PUT", "/data/vehicles/1.0/updateEntries", body, user=owner.iin)
    assert entries.json() == {"count": 2}


def test_every_read_is_audited_with_client_user_and_purpose():
    person = PersonFactory()
    officer = PersonFactory().iin
    read = gateway_call(
        "POST", "/data/population/1.0/read", {"query": {"content": {"iin": person.iin}}},
        user=officer, actor=officer,
    )  # fmt: skip
    assert read.status_code == 200
    entry = AuditEntry.objects.get(subject_iin=person.iin, kind="read")
    assert entry.action == "read:population.record"
    assert entry.purpose == PURPOSE
    assert entry.data["client"] == CLIENT_ID and entry.data["user"] == officer
    assert entry.data["fields"] == list(read.json()["content"])
    owned = OwnershipFactory(owner_iin=person.iin)
    OwnershipFactory(property=owned.property)
    gateway_call("GET", f"/data/real_estate/1.0/{owned.property.cadastral_number}/read-value/area",
                 user=officer)  # fmt: skip
    reads = AuditEntry.objects.filter(action="read:real_estate.record")
    assert reads.count() == 2 and all(e.data["fields"] == ["area"] for e in reads)


def test_direct_requests_are_refused_and_logged():
    person = PersonFactory()
    query = {"query": {"content": {"iin": person.iin}}}
    direct = gateway_call("POST", "/data/population/1.0/read", query, user=person.iin, proof=False)
    assert direct.status_code == 401 and direct.json()["code"] == "gateway.proof_missing"
    # A proof for another body (tampered in transit), and an expired one.
    proof = gateway_proof_headers(method="POST", path="/data/population/1.0/read", body=b"{}",
                                  client=CLIENT_ID, user=person.iin)  # fmt: skip
    tampered = gateway_call("POST", "/data/population/1.0/read", query, user=person.iin,
                            proof=False, extra=proof)  # fmt: skip
    assert tampered.status_code == 401 and tampered.json()["code"] == "gateway.proof_invalid"
    raw = json.dumps(query).encode()
    old = gateway_proof_headers(method="POST", path="/data/population/1.0/read", body=raw,
                                client=CLIENT_ID, user=person.iin,
                                purpose_header="", now=time.time() - 3600)  # fmt: skip
    expired = gateway_call("POST", "/data/population/1.0/read", query, user=person.iin,
                           purpose="", proof=False, extra=old)  # fmt: skip
    assert expired.status_code == 401
    assert not AuditEntry.objects.filter(kind="read").exists()
    assert (
        AuditEntry.objects.filter(kind="security", action="govstack.request_refused").count() == 3
    )


def test_personal_reads_need_purpose_and_user():
    person = PersonFactory()
    query = {"query": {"content": {"iin": person.iin}}}
    no_purpose = gateway_call("POST", "/data/population/1.0/read", query, user=person.iin,
                              purpose="")  # fmt: skip
    assert no_purpose.status_code == 400 and no_purpose.json()["code"] == "gateway.purpose_required"
    no_user = gateway_call("POST", "/data/population/1.0/read", query)
    assert no_user.status_code == 400 and no_user.json()["code"] == "gateway.user_required"
    no_client = gateway_call("POST", "/data/population/1.0/read", query, user=person.iin,
                             client_id="")  # fmt: skip
    assert no_client.status_code == 400 and no_client.json()["code"] == "gateway.client_missing"


def test_information_mediator_client_header_is_accepted():
    person = PersonFactory()
    raw = json.dumps({"query": {"content": {"iin": person.iin}}}).encode()
    proof = gateway_proof_headers(method="POST", path="/data/population/1.0/exists", body=raw,
                                  client="KZ/GOV/1/x", user=person.iin,
                                  purpose_header="check")  # fmt: skip
    from django.test import Client

    response = Client().post(
        "/data/population/1.0/exists", raw, content_type="application/json",
        headers={"Information-Mediator-Client": "KZ/GOV/1/x", "X-Road-UserId": person.iin,
                 "X-Road-Purpose": "check", **proof},
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["answer"]["status"] is True
    assert AuditEntry.objects.get(kind="read").data["client"] == "KZ/GOV/1/x"


def test_openapi_description_lists_the_fields():
    from django.test import Client

    spec = Client().get("/data/vehicles/1.0/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    assert "/data/vehicles/1.0/create" in spec["paths"]
    assert "plate" in spec["components"]["schemas"]["Record"]["properties"]


def test_criminal_record_not_found_query_by_person():
    record = CriminalRecordFactory()
    listed = gateway_call("GET", f"/data/criminal_records/1.0?query.iin={record.iin}",
                          user=record.iin)  # fmt: skip
    assert listed.json()["count"] == 1
