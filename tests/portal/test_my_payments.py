"""The citizen's payment pages over real HTTP (the Django test client) against the sandbox
acquirer as a real process: who may see a payment, one attempt per form however often it is
sent, a return page that asks the acquirer and never believes the query string, a decline then
a success, the receipt, the invoice to pay at a bank, refunds on the application page and the
fee on the officer's case page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone, translation

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application
from qyzmet.audit.models import AuditEntry
from qyzmet.core.calendar import calendar_default
from qyzmet.core.formats import date_long
from qyzmet.documents.selectors import document_signature_check
from qyzmet.payments import services as payment_services
from qyzmet.payments.models import Payment, PaymentAttempt
from qyzmet.payments.selectors import payment_by_public_id
from qyzmet.payments.services import payment_record_success, refund_request
from tests.payments.sandbox_support import SECRET, pay, payment_state
from tests.portal.factories import catalog_loaded, citizen, officer

pytest_plugins = ["tests.payments.sandbox_process"]

pytestmark = pytest.mark.django_db

PASSPORT = "kz.passport"
PASSPORT_DATA = {
    "reason": "expired",
    "previous_passport_number": "N12345678",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}
FULL_FEE_KK = "17\u00a0300\u00a0₸"  # 4 MCI of 2026
SUCCESS, DECLINE_FUNDS = "4000000000000002", "4000000000000010"


@pytest.fixture
def world(settings, sandbox, django_capture_on_commit_callbacks):
    settings.QYZMET_PUBLIC_BASE_URL = "http://testserver"
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": sandbox.url, "secret": SECRET, "timeout": 10},
        "reference": {},
    }
    catalog_loaded()
    clerk = officer("kz-mvd-migration")
    me = citizen(birth_date=dt.date(1990, 3, 3), sex="F")
    with django_capture_on_commit_callbacks(execute=True):
        application, _ = app_services.application_submit(
            actor=me, service_code=PASSPORT, data=dict(PASSPORT_DATA), language="kk"
        )
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT
    return {"me": me, "clerk": clerk, "application": application}


def _client(user, lang: str = "kk") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(user)
    client.cookies["django_language"] = lang
    return client


def _url(application, tail: str = "") -> str:
    return f"/my/payments/{application.payment_public_id}/{tail}"


def _key(page: str) -> str:
    match = re.search(r'name="key" value="([^"]+)"', page)
    assert match, "no one-time key in the form"
    return match.group(1)


def _text(response) -> str:
    return response.content.decode()


def _words(msgid: str, lang: str = "kk", context: str | None = None) -> str:
    with translation.override(lang):
        if context:
            return translation.pgettext(context, msgid)
        return translation.gettext(msgid)


def test_only_the_payer_sees_the_payment(world):
    application = world["application"]
    stranger = _client(citizen())
    for tail in ("", "return/", "invoice/", "receipt.pdf"):
        assert stranger.get(_url(application, tail)).status_code == 404, tail
    for tail in ("card/", "invoice/"):
        assert stranger.post(_url(application, tail), {"key": "k" * 32}).status_code == 404, tail
    assert stranger.get("/my/payments/not-a-uuid/").status_code == 404
    assert Client().get(_url(application)).status_code == 302  # to sign in
    assert not PaymentAttempt.objects.exists()
    # The payer does see it, and the read is kept in the audit trail.
    assert _client(world["me"]).get(_url(application)).status_code == 200
    read = AuditEntry.objects.get(action="read:payments.payment")
    assert read.actor_id == world["me"].pk and read.data["reference"]


def test_the_payment_page_says_what_for_how_much_and_by_when(world, sandbox):
    application = world["application"]
    response = _client(world["me"]).get(_url(application))
    page = _text(response)
    # The browser may follow the card form's 303 to the acquirer's page, and only there.
    assert f"form-action 'self' {sandbox.url};" in response["Content-Security-Policy"] + ";"
    payment = payment_by_public_id(public_id=application.payment_public_id)
    assert application.number in page and FULL_FEE_KK in page
    assert _words("Not paid yet", context="payment state") in page
    assert date_long(timezone.localtime(payment.expires_at).date(), "kk") in page
    assert 'data-way="card"' in page and 'data-way="invoice"' in page
    assert f"/my/applications/{application.pk}/" in page
    # Two forms, one key each page view: a new view gets a new key.
    first = _key(page)
    assert first != _key(_text(_client(world["me"]).get(_url(application))))


def test_a_double_click_or_a_resent_form_is_one_attempt(world, sandbox):
    application = world["application"]
    client = _client(world["me"])
    key = _key(_text(client.get(_url(application))))
    first = client.post(_url(application, "card/"), {"key": key})
    second = client.post(_url(application, "card/"), {"key": key})
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith(sandbox.url + "/pay/")
    assert PaymentAttempt.objects.count() == 1
    # Another page view, another key, while that card page is still open: back to it, not a
    # second charge.
    other = client.post(_url(application, "card/"), {"key": _key(_text(client.get(_url(
        application))))})  # fmt: skip
    assert other.status_code == 303 and other["Location"] == first["Location"]
    assert PaymentAttempt.objects.count() == 1
    # A form without its key (or a forged one) starts nothing.
    assert client.post(_url(application, "card/"), {"key": "x"}).status_code == 400
    assert PaymentAttempt.objects.count() == 1


def test_the_return_page_asks_the_acquirer_not_the_query_string(world, sandbox):
    application = world["application"]
    client = _client(world["me"])
    started = client.post(_url(application, "card/"), {"key": _key(_text(client.get(_url(
        application))))})  # fmt: skip
    provider_ref = PaymentAttempt.objects.get().provider_ref
    # Not paid on the card page: whatever the address says, the page says "waiting".
    page = client.get(_url(application, f"return/?payment={provider_ref}&state=succeeded"))
    text = _text(page)
    assert 'data-outcome="pending"' in text
    assert _words("Payment received") not in text
    assert re.search(r'<meta http-equiv="refresh" content="3; url=[^"]+\?check=1">', text)
    assert "refresh=off" in text  # the payer can stop it
    assert Payment.objects.get().state == Payment.AWAITING
    stopped = _text(client.get(_url(application, "return/?refresh=off")))
    assert "http-equiv" not in stopped and 'data-outcome="pending"' in stopped
    # Later checks reload less often, and after enough of them the page stops by itself.
    assert 'content="10;' in _text(client.get(_url(application, "return/?check=12")))
    assert "http-equiv" not in _text(client.get(_url(application, "return/?check=40")))
    assert payment_state(sandbox, provider_ref)["state"] == "pending"
    assert started["Location"].endswith(provider_ref)


def test_declined_then_paid_with_the_receipt_and_the_deadline_from_today(
    world, django_capture_on_commit_callbacks
):
    application, me = world["application"], world["me"]
    client = _client(me)
    started = client.post(_url(application, "card/"), {"key": _key(_text(client.get(_url(
        application))))})  # fmt: skip
    back = pay(started["Location"], DECLINE_FUNDS)
    assert back.status_code == 303 and "/return/" in back.headers["location"]
    declined = _text(client.get(_url(application, "return/")))
    assert 'data-outcome="declined"' in declined
    assert _words("Your card was declined. Nothing was charged.") in declined
    assert _words("There is not enough money on the card.", context="payment failure") in declined
    assert Payment.objects.get().state == Payment.AWAITING

    # Again, with a card that pays: a new attempt (a new key from the return page's form).
    retry = client.post(_url(application, "card/"), {"key": _key(declined)})
    assert retry.status_code == 303 and retry["Location"] != started["Location"]
    assert pay(retry["Location"], SUCCESS).status_code == 303
    # (Here the work after commit — the application's workflow, the receipt — runs when the
    # request is over; in the embedded server it runs at the commit, inside the request.)
    with django_capture_on_commit_callbacks(execute=True):
        first = _text(client.get(_url(application, "return/")))
    assert 'data-outcome="paid"' in first and "data-application-sent" in first
    paid = _text(client.get(_url(application, "return/")))
    assert 'data-outcome="paid"' in paid, paid
    application.refresh_from_db()
    due = calendar_default().add_working_days(timezone.localdate(), 15)
    assert application.state not in (Application.AWAITING_PAYMENT, Application.LAPSED)
    assert application.due_date == due
    assert date_long(due, "kk") in paid
    payment = payment_by_public_id(public_id=application.payment_public_id)
    assert payment.state == "paid" and payment.attempts_declined == 1
    assert f"/verify/{payment.receipt_document_id}/" in paid
    receipt = client.get(_url(application, "receipt.pdf"))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    check = document_signature_check(
        public_id=payment.receipt_document_id, pdf_bytes=receipt.content
    )
    assert (check.signature, check.certificate_status) == ("ok", "good")
    # The payment page: paid, no ways to pay any more, both tries listed.
    detail = _text(client.get(_url(application)))
    assert _words("Paid", context="payment state") in detail
    assert 'data-way="card"' not in detail and detail.count("<li>") >= 2
    # The application page and the officer's case say it too.
    mine = _text(client.get(f"/my/applications/{application.pk}/"))
    assert 'data-application-payment="paid"' in mine and FULL_FEE_KK in mine
    case = _text(_client(world["clerk"]).get(f"/backoffice/cases/{application.pk}/"))
    assert 'data-case-fee="paid"' in case
    assert _words("Paid", context="fee on a case") in case


def test_a_refund_shows_on_the_application_and_on_the_case(
    world, django_capture_on_commit_callbacks
):
    application, me = world["application"], world["me"]
    payment = payment_by_public_id(public_id=application.payment_public_id)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref="line-1",
        )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(
            actor=None, payment_public_id=payment.public_id, amount=payment.amount,
            reason="Өтінім қайтарылды", idempotency_key="refund-1",
        )  # fmt: skip
    mine = _text(_client(me).get(f"/my/applications/{application.pk}/"))
    assert 'data-refund="pending"' in mine
    assert _words("Being returned to you", context="refund state") in mine
    detail = _text(_client(me).get(_url(application)))
    assert "Өтінім қайтарылды" in detail and 'data-refund="pending"' in detail
    # The bank pays it out: the payment is refunded, in words, with the amount, everywhere.
    refund = payment_by_public_id(public_id=payment.public_id).refunds[0]
    with django_capture_on_commit_callbacks(execute=True):
        payment_services.refund_record_result(refund_id=refund.id, succeeded=True)
    mine = _text(_client(me).get(f"/my/applications/{application.pk}/"))
    assert 'data-application-payment="refunded"' in mine and 'data-refund="succeeded"' in mine
    case = _text(_client(world["clerk"]).get(f"/backoffice/cases/{application.pk}/"))
    with translation.override("kk"):
        refunded = translation.pgettext("fee on a case", "Refunded (%(amount)s)") % {
            "amount": FULL_FEE_KK
        }
    assert 'data-case-fee="refunded"' in case and refunded in case


def test_the_invoice_to_pay_at_a_bank(world, django_capture_on_commit_callbacks):
    application, me = world["application"], world["me"]
    client = _client(me)
    key = _key(_text(client.get(_url(application))))
    chosen = client.post(_url(application, "invoice/"), {"key": key})
    assert chosen.status_code == 302 and chosen["Location"] == _url(application, "invoice/")
    assert client.post(_url(application, "invoice/"), {"key": key}).status_code == 302
    attempt = PaymentAttempt.objects.get()  # the same form twice: one invoice
    assert (attempt.provider, attempt.state, attempt.next_url) == ("reference", "pending", "")
    invoice = _text(client.get(_url(application, "invoice/")))
    payment = payment_by_public_id(public_id=application.payment_public_id)
    grouped = " ".join(re.findall(r"\d{4}", payment.reference))
    assert grouped in invoice and FULL_FEE_KK in invoice and me.iin in invoice
    assert "KZ86125KZT5004100100" in invoice  # the demo account
    assert AuditEntry.objects.filter(action="read:payments.invoice", actor_id=me.pk).exists()
    # The bank's statement arrives: the payment is paid; the invoice is no longer shown.
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref="statement-line-9",
        )  # fmt: skip
    assert client.get(_url(application, "invoice/")).status_code == 302
    detail = _text(client.get(_url(application)))
    with translation.override("kk"):
        way = translation.pgettext("payment receipt", "Bank transfer by invoice number")
    assert way in detail and 'data-way="invoice"' not in detail


def test_my_payments_lists_newest_first(world, django_capture_on_commit_callbacks):
    me = world["me"]
    with django_capture_on_commit_callbacks(execute=True):
        newer, _ = app_services.application_submit(
            actor=me, service_code=PASSPORT, data=dict(PASSPORT_DATA, reason="pages_full"),
            language="kk",
        )  # fmt: skip
    page = _text(_client(me).get("/my/payments/"))
    older = world["application"].number
    assert page.index(newer.number) < page.index(older)
    assert page.count(FULL_FEE_KK) == 2
    assert _text(_client(citizen()).get("/my/payments/")).count("data-payments") == 0


@pytest.mark.parametrize(("lang", "words"), [("kk", "Менің төлемдерім"), ("ru", "Мои платежи"),
                                             ("en", "My payments")])  # fmt: skip
def test_the_account_menu_links_my_payments(lang, words):
    anonymous = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/services/").content.decode()
    assert 'href="/my/payments/"' not in anonymous
    html = _text(_client(citizen(), lang).get("/services/"))
    assert f'<a href="/my/payments/">{words}</a>' in html
