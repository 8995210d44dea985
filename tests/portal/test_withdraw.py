"""The citizen withdraws an application from its page, where the service lets the applicant
withdraw: a "Withdraw application" button, a second page (no JavaScript) that says what happens
to the fee — nothing to refund while unpaid, refunded in full when the service's rule says so —
and the POST that does it. Elsewhere there is no button and the page is not found."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import services
from qyzmet.applications.models import Application
from qyzmet.applications.selectors import application_payment
from qyzmet.payments.models import Payment
from qyzmet.payments.services import payment_record_success
from tests.portal.factories import SERVICE, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
PASSPORT_DATA = {
    "reason": "expired",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _passport(user, commit) -> Application:
    with commit(execute=True):
        application, _ = services.application_submit(
            actor=user, service_code="kz.passport", data=dict(PASSPORT_DATA), language="en"
        )
    application.refresh_from_db()
    return application


def _page(client, url: str, lang: str = "en") -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode().replace(NBSP, " ")


def _urls(application) -> tuple[str, str]:
    return (reverse("my-application", kwargs={"application_id": application.pk}),
            reverse("my-application-withdraw", kwargs={"application_id": application.pk}))


def test_an_unpaid_application_is_withdrawn_after_a_confirmation_saying_nothing_is_refunded(
    client, django_capture_on_commit_callbacks
):
    me = citizen()
    application = _passport(me, django_capture_on_commit_callbacks)
    client.force_login(me)
    detail, withdraw = _urls(application)
    assert f'href="{withdraw}" data-withdraw>Withdraw application<' in _page(client, detail)
    confirm = _page(client, withdraw)
    assert "<h1>Withdraw your application?</h1>" in confirm
    assert f"If you withdraw application {application.number}" in confirm
    fee = confirm.split("data-withdraw-fee>")[1].split("</p>")[0]
    assert fee.startswith("You have not paid the fee (17,300 ₸), so there is nothing to refund.")
    assert application_payment(application=application).state == Payment.AWAITING  # a GET
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(withdraw)
    assert done.status_code == 302 and done["Location"] == detail
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("withdrawn", "withdrawn")
    assert application_payment(application=application).state == Payment.CANCELLED
    after = _page(client, detail)
    assert "Your application was withdrawn." in after and "data-withdraw>" not in after
    assert "data-payment-due" not in after
    # Nothing left to withdraw: the confirmation page is gone, a second POST changes nothing.
    assert client.get(withdraw).status_code == 404
    assert client.post(withdraw).status_code == 404


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "The fee you paid, 17,300 ₸, will be refunded to you in full."),
        ("ru", "Оплаченная пошлина, 17 300 ₸, будет возвращена вам полностью."),
        ("kk", "Төленген баж, 17 300 ₸, сізге толық қайтарылады."),
    ],
)
def test_a_paid_application_in_the_workflow_says_the_fee_is_refunded_in_full(
    client, django_capture_on_commit_callbacks, lang, words
):
    me = citizen()
    application = _passport(me, django_capture_on_commit_callbacks)
    payment = application_payment(application=application)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref=f"paid-{lang}",
        )  # fmt: skip
    application.refresh_from_db()
    assert application.state == "submitted"
    client.force_login(me)
    _detail, withdraw = _urls(application)
    fee = _page(client, withdraw, lang).split("data-withdraw-fee>")[1].split("</p>")[0]
    assert fee == words


def test_no_button_where_the_service_does_not_let_the_applicant_withdraw(client):
    me = citizen()
    application = submitted(me, key="no-withdraw")  # the address certificate: no withdraw
    client.force_login(me)
    detail, withdraw = _urls(application)
    assert application.service_code == SERVICE
    assert "data-withdraw" not in _page(client, detail)
    assert client.get(withdraw).status_code == 404
    assert client.post(withdraw).status_code == 404


def test_nobody_else_withdraws_my_application(client, django_capture_on_commit_callbacks):
    me, other = citizen(), citizen()
    application = _passport(me, django_capture_on_commit_callbacks)
    _detail, withdraw = _urls(application)
    client.force_login(other)
    assert client.get(withdraw).status_code == 404
    assert client.post(withdraw).status_code == 404
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT
