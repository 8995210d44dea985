"""The finance desk's pages over real HTTP on the real engine: the payments list (scope,
filters, keyset pages, a constant number of queries), a payment's page, refunds with the
four-eyes rule shown, bank statements (upload, outcomes, settling a line, a hostile file), the
reconciliation, the CSV export (streamed, formula-safe) and the revenue charts."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qyzmet.payments import services
from qyzmet.payments.models import Refund, StatementLine
from tests.payments.camt_builder import E, camt053
from tests.payments.finance_world import OWN, pay, require, signed_in, world_make

pytestmark = pytest.mark.django_db
F = "/backoffice/finance"


@pytest.fixture
def w(settings):
    settings.QYZMET_REFUND_FOUR_EYES_TIYN = 100_000
    settings.LANGUAGE_CODE = "en"
    return world_make()


def _page(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_finance_officer_sees_only_their_agencys_payments_a_treasurer_every_one(w):
    mine = _page(signed_in(w.users["finance"]), f"{F}/")
    assert w.paid.reference in mine and w.unpaid.reference in mine
    assert w.other_paid.reference not in mine
    everyone = _page(signed_in(w.users["treasury"]), f"{F}/")
    assert w.paid.reference in everyone and w.other_paid.reference in everyone
    # Choosing another agency in the URL finds nothing rather than showing it.
    narrowed = _page(signed_in(w.users["finance"]), f"{F}/", agency="kz-health")
    assert w.other_paid.reference not in narrowed


def test_filters_by_state_and_by_the_number_as_a_person_types_it(w):
    client = signed_in(w.users["finance"])
    paid_only = _page(client, f"{F}/", state="paid")
    assert w.paid.reference in paid_only and w.unpaid.reference not in paid_only
    r = w.unpaid.reference
    found = _page(client, f"{F}/", q=f"{r[:4]} {r[4:8]}-{r[8:]}")
    assert w.unpaid.reference in found and w.paid.reference not in found
    number = "QZ-" + w.paid.source_ref.split(":")[1].zfill(8)
    assert w.paid.reference in _page(client, f"{F}/", q=number)


def test_keyset_pages_cover_every_payment_once_at_a_constant_query_count(w):
    client = signed_in(w.users["finance"])
    _page(client, f"{F}/")  # warm the session and the catalogue
    with CaptureQueriesContext(connection) as few:
        _page(client, f"{F}/")
    for _n in range(30):
        require(payer=w.users["citizen"], amount=100_000)
    with CaptureQueriesContext(connection) as many:
        first = _page(client, f"{F}/")
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert 'rel="next"' in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = _page(client, f"{F}/" + next_url.replace("&amp;", "&"))
    refs = [line for line in (first + second).split()
            if f"{F}/payments/" in line and "href" in line]  # not the account menu's own link
    assert len(refs) == len(set(refs)) == 32  # 30 + the two of the world, no repeats


def test_a_payment_page_tells_everything_and_another_agencys_is_404(w):
    client = signed_in(w.users["finance"])
    text = _page(client, f"{F}/payments/{w.paid.public_id}/")
    assert "QZ-" in text and "Bank transfer by invoice number" in text
    assert "17,300" in text  # 1 730 000 tiyn as money, never the integer
    assert "1730000" not in text
    assert client.get(f"{F}/payments/{w.other_paid.public_id}/").status_code == 404


def test_a_refund_above_the_threshold_waits_and_the_requester_cannot_approve_it(w):
    asker, approver = signed_in(w.users["finance"]), signed_in(w.users["finance_2"])
    response = asker.post(f"{F}/payments/{w.paid.public_id}/refund/",
                          {"scope": "part", "amount": "5000", "reason": "Refused", "key": "k1"})
    assert response.status_code == 302
    refund = Refund.objects.get(payment=w.paid)
    assert (refund.amount, refund.state) == (500_000, Refund.AWAITING_APPROVAL)
    # The same form sent twice (a double click) makes one refund.
    asker.post(f"{F}/payments/{w.paid.public_id}/refund/",
               {"scope": "part", "amount": "5000", "reason": "Refused", "key": "k1"})
    assert Refund.objects.filter(payment=w.paid).count() == 1
    queue = _page(asker, f"{F}/refunds/")
    assert "another finance officer must approve" in queue
    assert 'value="approve"' not in queue
    asker.post(f"{F}/refunds/{refund.public_id}/decide/", {"decision": "approve"})
    refund.refresh_from_db()
    assert refund.state == Refund.AWAITING_APPROVAL
    assert 'value="approve"' in _page(approver, f"{F}/refunds/")
    approver.post(f"{F}/refunds/{refund.public_id}/decide/", {"decision": "approve"})
    refund.refresh_from_db()
    assert refund.state in (Refund.PENDING, Refund.SUCCEEDED)
    assert refund.approved_by_id == w.users["finance_2"].pk
    everything = _page(asker, f"{F}/refunds/", state="all")
    assert w.paid.reference in everything


def test_a_rejection_needs_a_reason_and_is_shown_with_it(w):
    refund = services.refund_request(actor=w.users["finance"], payment_public_id=w.paid.public_id,
                                     amount=300_000, reason="Withdrawn", idempotency_key="r2")
    approver = signed_in(w.users["finance_2"])
    approver.post(f"{F}/refunds/{refund.public_id}/decide/", {"decision": "reject"})
    refund.refresh_from_db()
    assert refund.state == Refund.AWAITING_APPROVAL
    approver.post(f"{F}/refunds/{refund.public_id}/decide/",
                  {"decision": "reject", "note": "Fee is not refundable"})
    refund.refresh_from_db()
    assert refund.state == Refund.REJECTED
    assert "Fee is not refundable" in _page(approver, f"{F}/payments/{w.paid.public_id}/")


def test_a_statement_upload_shows_every_line_and_the_open_one_is_settled(w):
    client = signed_in(w.users["treasury"])
    content = camt053(E(amount="2500.00", ref=w.unpaid.reference),
                      E(amount="99.00", ustrd="for nothing we know"))
    response = client.post(f"{F}/statements/upload/",
                           {"file": io.BytesIO(content)}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    text = _page(client, response["Location"])
    assert "Paid an invoice" in text and "No invoice found" in text
    open_line = StatementLine.objects.get(state=StatementLine.UNMATCHED)
    assert f"lines/{open_line.pk}/" in _page(client, f"{F}/statements/lines/")
    refused = client.post(f"{F}/statements/lines/{open_line.pk}/", {"how": "note", "note": ""})
    assert refused.status_code == 400
    client.post(f"{F}/statements/lines/{open_line.pk}/",
                {"how": "note", "note": "Returned to the payer by transfer 17"})
    open_line.refresh_from_db()
    assert open_line.state == StatementLine.RESOLVED
    assert "No line waits for a person" in _page(client, f"{F}/statements/lines/")


def test_a_hostile_statement_is_refused_naming_the_problem(w):
    client = signed_in(w.users["treasury"])
    xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<Document>&x;</Document>")
    response = client.post(f"{F}/statements/upload/", {"file": io.BytesIO(xxe)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "document type" in response.content.decode()
    assert not StatementLine.objects.exists()


def test_reconciliation_runs_now_and_says_its_findings_in_words(w):
    client = signed_in(w.users["treasury"])
    day = w.paid.paid_at.date()
    client.post(f"{F}/statements/upload/", {"file": io.BytesIO(camt053(
        E(amount="5.00", ustrd="unknown", booked=day.isoformat())))})  # fmt: skip
    response = client.post(f"{F}/reconciliation/run/", {"day": day.isoformat()})
    assert response.status_code == 302
    text = _page(client, response["Location"])
    assert "the platform has no record of" in text
    assert "missing_on_platform" not in text
    assert day.strftime("%d.%m.%Y") in _page(client, f"{F}/reconciliation/")


def test_statements_and_reconciliation_are_the_treasurys_not_an_agencys(w):
    """A bank statement holds every agency's money: an agency's finance officer neither sees the
    statements, their lines or the reconciliation nor is pointed to them; the treasury is."""
    treasurer = signed_in(w.users["treasury"])
    treasurer.post(f"{F}/statements/upload/", {"file": io.BytesIO(camt053(
        E(amount="99.00", ustrd="another agency's money, maybe")))})  # fmt: skip
    line = StatementLine.objects.get(state=StatementLine.UNMATCHED)
    desk = _page(treasurer, f"{F}/")
    assert f"{F}/statements/" in desk and "bank statement line waits" in desk
    finance = signed_in(w.users["finance"])
    mine = _page(finance, f"{F}/")
    assert f"{F}/statements/" not in mine and f"{F}/reconciliation/" not in mine
    assert "bank statement line" not in mine
    for url in (f"{F}/statements/", f"{F}/statements/lines/", f"{F}/statements/lines/{line.pk}/",
                f"{F}/statements/{line.statement_id}/", f"{F}/reconciliation/"):
        assert finance.get(url).status_code == 403, url
    refused = finance.post(f"{F}/statements/lines/{line.pk}/",
                           {"how": "note", "note": "Mine now"})
    assert refused.status_code == 403
    line.refresh_from_db()
    assert line.state == StatementLine.UNMATCHED


def test_the_csv_export_streams_the_filtered_payments_and_never_a_formula(w):
    payer = w.users["citizen"]
    hostile = services.payment_require(
        source_ref="application:999001", payer_id=payer.pk, payer_iin=payer.iin,
        agency_code=OWN, service_code="kz.passport", language="en", amount=100,
        description={"kk": "=HYPERLINK(\"http://x\")", "ru": "+1", "en": "=cmd|' /C calc'!A0"},
    )  # fmt: skip
    response = signed_in(w.users["finance"]).get(f"{F}/payments.csv",
                                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    by_ref = {row[0]: row for row in rows[1:]}
    assert set(by_ref) == {w.paid.reference, w.unpaid.reference, hostile.reference}
    assert by_ref[hostile.reference][3] == "'=cmd|' /C calc'!A0"
    assert by_ref[w.paid.reference][5:7] == ["17300.00", "17300.00"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_revenue_per_agency_and_service_as_charts_with_tables(w):
    pay(require(payer=w.users["citizen"], amount=50_000))
    client = signed_in(w.users["treasury"])
    text = _page(client, f"{F}/revenue/")
    assert "17,800" in text  # the migration service's month: 17 300 + 500 tenge
    assert 'alt="Net fees received per agency' in text
    for by in ("agency", "service"):
        png = client.get(f"{F}/revenue/{by}.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(f"{F}/revenue/other.png").status_code == 404


def test_the_desk_speaks_kazakh(w):
    client = signed_in(w.users["finance"])
    response = client.get(f"{F}/", HTTP_ACCEPT_LANGUAGE="kk")
    text = response.content.decode()
    assert "Төлемдер" in text
    for code in ("awaiting", "partially_refunded", "reference", OWN):
        assert f">{code}<" not in text
