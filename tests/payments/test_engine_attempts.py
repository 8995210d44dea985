"""Attempts: a retried start never charges twice (also two requests at once, on PostgreSQL),
the provider is called after the row commits, and a provider that is down costs nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.problem import Problem
from qyzmet.payments import services
from qyzmet.payments.models import Payment, PaymentAttempt
from qyzmet.payments.providers.base import DECLINED
from tests.payments.engine_world import payer, require, start


@pytest.mark.django_db
def test_the_same_key_twice_is_the_same_attempt_and_one_charge(provider):
    user = payer()
    payment = require(user)
    first = start(payment, key="k-1", actor=user)
    again = start(payment, key="k-1", actor=user)
    assert again.pk == first.pk
    assert first.state == PaymentAttempt.PENDING
    assert first.provider_ref and first.next_url == f"https://pay.test/{first.provider_ref}"
    assert provider.ledger.create_calls == 1 and len(provider.ledger.charges) == 1
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    charge = provider.ledger.charges[first.provider_ref]
    assert charge["amount"] == 1_730_000 and charge["reference"] == payment.reference
    assert charge["webhook_url"].endswith("/api/v1/payments/webhooks/test")
    assert (
        AuditEntry.objects.filter(action="payment.attempt_start", object_id=str(payment.pk)).count()
        == 1
    )


@pytest.mark.django_db
def test_a_key_reused_for_another_payment_or_by_another_person_is_refused(provider):
    user = payer()
    payment, other = require(user), require(user)
    start(payment, key="k-2", actor=user)
    with pytest.raises(Problem) as caught:
        start(other, key="k-2", actor=user)
    assert (caught.value.status, caught.value.code) == (409, "idempotency_key_reused")
    with pytest.raises(Problem) as caught:
        start(payment, key="k-3", actor=payer())
    assert caught.value.status == 404  # not yours: not found


@pytest.mark.django_db
def test_a_start_whose_provider_call_never_finished_is_completed_with_the_same_key(provider):
    """The row committed, then the process died before the provider answered: the retry asks
    the provider again with the same key and gets the same charge."""
    payment = require()
    provider.create(
        services.CreateRequest(
            idempotency_key="k-crash",
            reference=payment.reference,
            amount=payment.amount,
            currency="KZT",
            description="",
            language="ru",
            return_url="",
            webhook_url="",
        )
    )  # the provider made the charge before the crash
    orphan = PaymentAttempt.objects.create(
        payment=payment, provider="test", idempotency_key="k-crash", amount=payment.amount
    )
    attempt = start(payment, key="k-crash")
    assert attempt.pk == orphan.pk and attempt.provider_ref == "t000001"
    assert len(provider.ledger.charges) == 1


@pytest.mark.django_db
def test_provider_down_fails_the_attempt_and_the_citizen_can_retry(provider):
    payment = require()
    provider.ledger.unavailable = True
    failed = start(payment, key="k-down")
    assert failed.state == PaymentAttempt.FAILED
    assert failed.failure_code == "provider_unavailable" and failed.provider_ref == ""
    provider.ledger.unavailable = False
    retry = start(payment, key="k-up")
    assert retry.state == PaymentAttempt.PENDING and retry.provider_ref


@pytest.mark.django_db
def test_no_second_attempt_while_the_first_is_on_the_hosted_page(provider, settings):
    payment = require()
    first = start(payment)
    with pytest.raises(Problem) as caught:
        start(payment)
    assert caught.value.code == "payment_attempt_in_progress"
    assert caught.value.extra["next_url"] == first.next_url
    # Declined on the page (the webhook not here yet): asked afresh, a new attempt is allowed.
    provider.pay(first.provider_ref, outcome=DECLINED)
    second = start(payment)
    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.state == PaymentAttempt.DECLINED and first.failure_code == "card_declined"
    # Past the page's lifetime a pending attempt no longer blocks.
    settings.QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS = 0
    assert start(payment).pk not in (first.pk, second.pk)


@pytest.mark.django_db
def test_a_paid_expired_or_cancelled_payment_is_not_payable(provider):
    paid = require()
    provider.pay(start(paid).provider_ref)
    services.attempt_refresh(attempt_id=paid.attempts.get().pk)
    late = require()
    Payment.objects.filter(pk=late.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    cancelled = require()
    services.payment_cancel(source_ref=cancelled.source_ref)
    for payment in (paid, late, cancelled):
        with pytest.raises(Problem) as caught:
            start(payment)
        assert (caught.value.status, caught.value.code) == (409, "payment_not_payable")


@pytest.mark.django_db
def test_an_unknown_provider_is_not_found(provider):
    with pytest.raises(Problem) as caught:
        services.attempt_start(
            actor=None,
            payment_public_id=require().public_id,
            provider="nope",
            idempotency_key="k",
            return_url="",
        )
    assert caught.value.status == 404


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_key_at_once_make_one_attempt(provider):
    """A double click: two threads, each its own database connection, start at the same
    instant with the same key. One row (the unique key decides), one charge."""
    payment = require()
    barrier = threading.Barrier(2)
    results: list = []
    errors: list = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(start(payment, key="k-race").pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    if errors and connection.vendor == "sqlite":
        pytest.skip(f"SQLite refused concurrent writers: {errors[0]!r}")
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    assert len(provider.ledger.charges) == 1
    assert PaymentAttempt.objects.get().provider_ref in provider.ledger.charges
