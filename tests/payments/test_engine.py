"""The payments engine: a fee required, money recorded exactly once, the views other apps read."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.payments import selectors, services
from qyzmet.payments.models import Payment, PaymentAttempt, Refund

pytestmark = pytest.mark.django_db

_sources = itertools.count(1)


def require(**overrides) -> Payment:
    fields = {
        "source_ref": f"application:{next(_sources)}",
        "payer_id": 7,
        "payer_iin": "900517300017",
        "agency_code": "moj",
        "service_code": "passport",
        "description": {"kk": "Төлқұжат", "ru": "Паспорт", "en": "Passport"},
        "language": "ru",
        "amount": 1_730_000,
    }
    return services.payment_require(**{**fields, **overrides})


def topics(payment: Payment) -> list[str]:
    return [
        e.topic
        for e in OutboxEvent.objects.order_by("created_at")
        if e.payload.get("payment_id") == payment.pk
    ]


def test_reference_carries_mod97_check_digits_that_catch_typos():
    reference = services.reference_make()
    assert len(reference) == 12 and reference.isdigit()
    assert services.reference_valid(reference)
    assert services.reference_valid(f"{reference[:4]} {reference[4:8]} {reference[8:]}")
    # Every single wrong digit and every swap of neighbours is caught.
    for i in range(12):
        wrong = str((int(reference[i]) + 3) % 10)
        assert not services.reference_valid(reference[:i] + wrong + reference[i + 1 :])
    for i in range(11):
        if reference[i] != reference[i + 1]:
            swapped = reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
            assert not services.reference_valid(swapped)
    assert services.reference_check_digits("1234567890") == "92"  # 123456789092 % 97 == 1


def test_payment_require_is_idempotent_on_the_source():
    before = timezone.now()
    first = require(source_ref="application:42", amount=500_000)
    again = require(source_ref="application:42", amount=999)
    assert again.pk == first.pk and again.amount == 500_000
    assert Payment.objects.filter(source_ref="application:42").count() == 1
    assert first.state == Payment.AWAITING
    assert services.reference_valid(first.reference)
    hours = (first.expires_at - before).total_seconds() / 3600
    assert 71.9 < hours <= 72.01
    assert topics(first) == ["payment.required"]
    event = OutboxEvent.objects.get(topic="payment.required")
    assert event.payload == {
        "payment_id": first.pk,
        "public_id": str(first.public_id),
        "source_ref": "application:42",
        "reference": first.reference,
        "amount": 500_000,
        "currency": "KZT",
    }


def test_payment_require_refuses_a_float_or_a_non_positive_amount():
    for amount in (0, -5, 17.5, True):
        with pytest.raises(Problem) as caught:
            require(amount=amount)
        assert caught.value.status == 422
    assert not Payment.objects.exists()


def test_expiry_hours_come_from_settings(settings):
    settings.QYZMET_PAYMENT_EXPIRY_HOURS = 2
    payment = require()
    assert payment.expires_at - payment.created_at < dt.timedelta(hours=2, seconds=5)


def test_selectors_give_a_frozen_view_by_source_and_public_id():
    payment = require(
        amount_before_exemption=3_460_000,
        exemption={"code": "large_family", "label": {"en": "Large family"}},
    )
    view = selectors.payment_for_source(source_ref=payment.source_ref)
    assert view is not None and view.public_id == str(payment.public_id)
    assert view.reference == payment.reference and view.amount == 1_730_000
    assert view.amount_before_exemption == 3_460_000
    assert view.exemption["code"] == "large_family"
    assert view.is_payable and view.attempts == () and view.refunds == ()
    with pytest.raises(AttributeError):
        view.state = "paid"  # frozen
    assert selectors.payment_by_public_id(public_id=payment.public_id) == view
    assert selectors.payment_by_public_id(public_id=str(payment.public_id)) == view
    assert selectors.payment_by_public_id(public_id="not-a-uuid") is None
    assert selectors.payment_for_source(source_ref="application:0") is None
    assert selectors.payment_by_reference(reference=payment.reference).id == payment.pk


def test_record_success_marks_paid_once_and_refunds_a_second_arrival(
    provider, django_capture_on_commit_callbacks
):
    payment = require(amount=250_000)
    at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        paid = services.payment_record_success(
            payment_id=payment.pk,
            provider="test",
            amount=250_000,
            currency="KZT",
            at=at,
            external_ref="LINE-1",
        )
    assert paid.state == Payment.PAID and paid.amount_paid == 250_000
    assert paid.paid_at == at and paid.paid_via == "test"
    succeeded = OutboxEvent.objects.get(topic="payment.succeeded")
    assert succeeded.payload["paid_at"] == at.isoformat()
    assert succeeded.payload["provider"] == "test"

    # The same statement line again: nothing changes, nothing is refunded.
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record_success(
            payment_id=payment.pk,
            provider="test",
            amount=250_000,
            currency="KZT",
            at=at,
            external_ref="LINE-1",
        )
    assert not Refund.objects.exists()

    # A second, different arrival: a double payment, returned automatically in full.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.payment_record_success(
            payment_id=payment.pk,
            provider="test",
            amount=250_000,
            currency="KZT",
            at=at,
            external_ref="LINE-2",
        )
    assert again.state == Payment.PAID and again.amount_paid == 250_000
    assert again.amount_refunded == 0  # the fee itself was not refunded
    refund = Refund.objects.get()
    assert refund.kind == Refund.DOUBLE and refund.amount == 250_000
    assert refund.state == Refund.SUCCEEDED and refund.requested_by_id is None
    assert refund.attempt.state == PaymentAttempt.REFUNDED
    assert refund.attempt.failure_code == "double_payment"
    assert provider.ledger.refunds[refund.idempotency_key]["amount"] == 250_000
    assert topics(payment).count("payment.succeeded") == 1
    assert "payment.refunded" not in topics(payment)
    from qyzmet.audit.models import AuditEntry

    assert AuditEntry.objects.filter(action="payment.double_refund", object_id=payment.pk).exists()


def test_record_success_refuses_another_amount_or_currency(provider):
    payment = require(amount=250_000)
    for amount, currency in ((249_999, "KZT"), (250_000, "USD")):
        with pytest.raises(Problem) as caught:
            services.payment_record_success(
                payment_id=payment.pk,
                provider="test",
                amount=amount,
                currency=currency,
                at=timezone.now(),
                external_ref=f"L{amount}{currency}",
            )
        assert caught.value.status == 422
    payment.refresh_from_db()
    assert payment.state == Payment.AWAITING and not payment.attempts.exists()
