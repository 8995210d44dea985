"""The payments API over real HTTP with bearer tokens: the list with filters and cursor, one
payment, refunds with the Idempotency-Key and the four-eyes rule, statements (import, repeat,
hostile → 422 naming the element, too big → 413), the reconciliation of a day, OpenAPI."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qyzmet.identity.services import api_token_issue
from qyzmet.payments import camt053
from qyzmet.payments.models import Payment
from qyzmet.payments.services import reconcile_day
from tests.payments.camt_builder import E
from tests.payments.camt_builder import camt053 as statement_file
from tests.payments.finance_world import require, world_make

pytestmark = pytest.mark.django_db
A = "/api/v1"


@pytest.fixture
def w(settings):
    settings.QYZMET_REFUND_FOUR_EYES_TIYN = 100_000
    return world_make()


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


def test_the_list_filters_and_pages_by_cursor(w):
    for _n in range(4):
        require(payer=w.users["citizen"], amount=100_000)
    client = api(w.users["finance"])
    first = client.get(f"{A}/payments", {"limit": 3}).json()
    second = client.get(f"{A}/payments", {"limit": 3, "cursor": first["next_cursor"]}).json()
    ids = [p["public_id"] for p in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 6 and second["next_cursor"] is None
    assert str(w.other_paid.public_id) not in ids
    paid = client.get(f"{A}/payments", {"state": "paid"}).json()["items"]
    assert [p["reference"] for p in paid] == [w.paid.reference]
    assert client.get(f"{A}/payments", {"cursor": "bad!"}).status_code == 400


def test_one_payment_with_everything(w):
    body = api(w.users["finance"]).get(f"{A}/payments/{w.paid.public_id}").json()
    assert body["state"] == "paid" and body["amount_paid"] == 1_730_000
    assert body["attempts"][0]["provider"] == "reference"
    assert body["refundable"] == 1_730_000


def test_refunds_are_idempotent_and_need_a_second_officer(w):
    client = api(w.users["finance"])
    url = f"{A}/payments/{w.paid.public_id}/refunds"
    body = {"amount": 500_000, "reason": "Application refused"}
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["pointer"] == "/headers/Idempotency-Key"
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["public_id"] == again.json()["public_id"]
    assert first.json()["state"] == "awaiting_approval"
    other = client.post(url, {**body, "amount": 1}, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    refund = first.json()["public_id"]
    own = client.post(f"{A}/refunds/{refund}/approve")
    assert own.status_code == 403 and own.json()["code"] == "refund_four_eyes"
    approved = api(w.users["finance_2"]).post(f"{A}/refunds/{refund}/approve")
    assert approved.status_code == 200 and approved.json()["state"] in ("pending", "succeeded")
    assert approved.json()["approved_by_id"] == w.users["finance_2"].pk
    assert api(w.users["finance_2"]).post(f"{A}/refunds/{refund}/approve").status_code == 409


def _upload(client, content: bytes, name: str = "statement.xml"):
    return client.post(f"{A}/payments/statements",
                       {"file": SimpleUploadedFile(name, content, "application/xml")})


def test_statements_import_once_and_list(w):
    client = api(w.users["treasury"])
    content = statement_file(E(amount="2500.00", ref=w.unpaid.reference))
    first, again = _upload(client, content), _upload(client, content)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["counts"] == {"matched": 1} and again.json()["created"] is False
    assert first.json()["lines"][0]["payment_reference"] == w.unpaid.reference
    listed = client.get(f"{A}/payments/statements").json()["items"]
    assert [s["id"] for s in listed] == [first.json()["statement"]["id"]]


def test_a_hostile_or_malformed_statement_is_422_naming_the_element(w):
    client = api(w.users["treasury"])
    bad_amount = statement_file(E(amount="25.001", ref=w.unpaid.reference))
    response = _upload(client, bad_amount)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    pointers = [e["pointer"] for e in response.json()["errors"]]
    assert any(p.endswith("/Ntry[1]/Amt") for p in pointers), pointers
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;">]><Document>&lol2;</Document>')
    refused = _upload(client, laughs)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "doctype"


def test_a_statement_larger_than_the_limit_is_413(w):
    response = _upload(api(w.users["treasury"]), b" " * (camt053.MAX_BYTES + 1))
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"


def test_the_reconciliation_of_a_day(w):
    client = api(w.users["treasury"])
    day = w.paid.paid_at.date().isoformat()
    assert client.get(f"{A}/payments/reconciliation/{day}").status_code == 404
    _upload(client, statement_file(E(amount="7.00", ustrd="whose?", booked=day)))
    reconcile_day(day=w.paid.paid_at.date())
    body = client.get(f"{A}/payments/reconciliation/{day}").json()
    assert body["day"] == day
    assert "missing_on_platform" in {m["kind"] for m in body["mismatches"]}


def test_an_agencys_finance_officer_gets_403_for_statements_and_reconciliation(w):
    """Statements hold every agency's money: the agency's finance officer reads their own
    payments through the API but not the platform's statements or reconciliation (403)."""
    client = api(w.users["finance"])
    day = w.paid.paid_at.date().isoformat()
    content = statement_file(E(amount="2500.00", ref=w.unpaid.reference))
    for response in (client.get(f"{A}/payments/statements"), _upload(client, content),
                     client.get(f"{A}/payments/reconciliation/{day}")):
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        assert "treasury" in response.json()["detail"]
    assert client.get(f"{A}/payments/{w.paid.public_id}").status_code == 200
    assert Payment.objects.get(pk=w.unpaid.pk).state == Payment.AWAITING


def test_openapi_describes_the_operations():
    paths = Client().get(f"{A}/openapi.json").json()["paths"]
    for path in ("/api/v1/payments", "/api/v1/payments/{public_id}",
                 "/api/v1/payments/{public_id}/refunds", "/api/v1/refunds/{refund_id}/approve",
                 "/api/v1/refunds/{refund_id}/reject", "/api/v1/payments/statements",
                 "/api/v1/payments/reconciliation/{day}"):  # fmt: skip
        assert path in paths, path
    upload = paths["/api/v1/payments/statements"]["post"]["responses"]
    assert {"201", "413", "422"} <= set(upload)
