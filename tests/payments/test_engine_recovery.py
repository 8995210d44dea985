"""Nothing lost: a webhook that never came is made good by polling (with backoff), an unpaid
payment expires only after a last poll, and the daily reconciliation lists every difference
between the provider's report and our records, applying a success we had missed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qyzmet.payments import services
from qyzmet.payments.models import Payment, PaymentAttempt, ReconciliationRun, Refund
from qyzmet.payments.providers.base import SettlementLine
from tests.payments.engine_world import post_webhook, require, start, topics

pytestmark = pytest.mark.django_db


@pytest.fixture
def only_test_provider(provider, settings):
    """Reconciliation asks every configured provider; here only the test acquirer is."""
    settings.QYZMET_PAYMENT_PROVIDERS = {"test": settings.QYZMET_PAYMENT_PROVIDERS["test"]}
    return provider


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_a_lost_webhook_is_recovered_by_polling_with_backoff(provider, commit):
    payment = require()
    attempt = start(payment)
    now = timezone.now()
    assert commit(services.attempts_poll_due, now=now) == {}  # not due yet
    later = now + dt.timedelta(minutes=2)
    assert commit(services.attempts_poll_due, now=later) == {"pending": 1}
    attempt.refresh_from_db()
    assert attempt.polls == 1
    assert attempt.poll_at - later == dt.timedelta(seconds=120)  # 60 s doubled
    provider.pay(attempt.provider_ref)  # paid at the acquirer; its webhook never arrives
    assert commit(services.attempts_poll_due, now=later + dt.timedelta(minutes=1)) == {}
    assert commit(services.attempts_poll_due, now=later + dt.timedelta(minutes=3)) == {"paid": 1}
    payment.refresh_from_db()
    assert payment.state == Payment.PAID
    assert topics(payment).count("payment.succeeded") == 1
    # The webhook comes after all: a duplicate outcome, nothing changes.
    body, headers = provider.webhook(attempt.provider_ref)
    assert commit(post_webhook, body, headers).status_code == 200
    assert topics(payment).count("payment.succeeded") == 1


def test_a_provider_down_during_polling_only_postpones(provider, commit):
    attempt = start(require())
    provider.ledger.unavailable = True
    later = timezone.now() + dt.timedelta(minutes=2)
    assert commit(services.attempts_poll_due, now=later) == {"unavailable": 1}
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.PENDING and attempt.poll_at > later


def test_expiry_polls_last_and_does_not_expire_a_fee_paid_at_the_last_second(provider, commit):
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now())
    counts = commit(services.payments_expire_due, now=timezone.now() + dt.timedelta(seconds=1))
    assert counts == {"expired": 0, "paid": 1, "waiting": 0}
    payment.refresh_from_db()
    assert payment.state == Payment.PAID and "payment.expired" not in topics(payment)


def test_a_payer_still_on_the_hosted_page_is_given_until_it_times_out(provider, commit):
    payment = require()
    attempt = start(payment)
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now())
    soon = timezone.now() + dt.timedelta(seconds=5)
    assert commit(services.payments_expire_due, now=soon)["waiting"] == 1
    late = attempt.created_at + dt.timedelta(seconds=901)
    assert commit(services.payments_expire_due, now=late)["expired"] == 1
    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.state == Payment.EXPIRED
    assert attempt.state == PaymentAttempt.EXPIRED and attempt.failure_code == "payment_expired"
    assert topics(payment)[-1] == "payment.expired"
    # The money arrives after all: not counted, returned in full.
    provider.pay(attempt.provider_ref)
    body, headers = provider.webhook(attempt.provider_ref)
    commit(post_webhook, body, headers)
    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.state == Payment.EXPIRED and payment.amount_paid == 0
    assert attempt.state == PaymentAttempt.REFUNDED
    assert attempt.failure_code == "payment_not_payable"
    assert Refund.objects.get().state == Refund.SUCCEEDED


def test_an_unpaid_payment_without_attempts_expires_once(provider, commit):
    payment = require()
    Payment.objects.filter(pk=payment.pk).update(expires_at=timezone.now())
    later = timezone.now() + dt.timedelta(seconds=1)
    assert commit(services.payments_expire_due, now=later)["expired"] == 1
    assert commit(services.payments_expire_due, now=later)["expired"] == 0
    assert topics(payment).count("payment.expired") == 1


def test_reconciliation_lists_every_difference_and_applies_a_missed_success(
    only_test_provider, commit
):
    provider = only_test_provider
    today = timezone.localdate()
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    # 1. paid and known on both sides: no mismatch.
    fine = require()
    a_fine = start(fine)
    provider.pay(a_fine.provider_ref, at=noon)
    services.attempt_refresh(attempt_id=a_fine.pk)
    # 2. paid at the acquirer; webhook and polls lost: recovered by the reconciliation.
    missed = require()
    a_missed = start(missed)
    provider.pay(a_missed.provider_ref, at=noon)
    # 3. paid on our records, absent from the acquirer's report.
    ghost = require()
    a_ghost = start(ghost)
    provider.pay(a_ghost.provider_ref, at=noon)
    services.attempt_refresh(attempt_id=a_ghost.pk)
    provider.ledger.charges[a_ghost.provider_ref]["at"] = noon - dt.timedelta(days=3)
    # 4. money the acquirer reports that we know nothing of, 5. an amount that differs.
    provider.ledger.extra_settlement = [
        SettlementLine(
            provider_ref="t777777",
            reference="000000000000",
            amount=5_000,
            currency="KZT",
            booked_on=today,
            line_ref="x1",
        ),
        SettlementLine(
            provider_ref=a_fine.provider_ref,
            reference=fine.reference,
            amount=999,
            currency="KZT",
            booked_on=today,
            line_ref="x2",
        ),
    ]
    run = commit(services.reconcile_day, day=today)
    kinds = sorted((m["kind"], m.get("reference", "")) for m in run.mismatches)
    assert kinds == sorted(
        [
            ("recovered", missed.reference),
            ("missing_at_provider", ghost.reference),
            ("missing_on_platform", "000000000000"),
            ("amount_differs", fine.reference),
        ]
    )
    missed.refresh_from_db()
    assert missed.state == Payment.PAID and missed.paid_via == "test"
    assert run.summary["test"]["provider_count"] == 4
    assert run.summary["test"]["platform_count"] == 3  # fine, missed (now recorded), ghost's day
    # Run again: the same day's run is replaced, the recovery is not repeated.
    again = commit(services.reconcile_day, day=today)
    assert again.pk == run.pk and ReconciliationRun.objects.count() == 1
    assert "recovered" not in [m["kind"] for m in again.mismatches]
    assert topics(missed).count("payment.succeeded") == 1


def test_reconciliation_flags_a_payment_paid_twice(only_test_provider, commit, settings):
    provider = only_test_provider
    settings.QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS = 0
    today = timezone.localdate()
    payment = require()
    first, second = start(payment), start(payment)
    for attempt in (first, second):
        provider.pay(attempt.provider_ref)
        body, headers = provider.webhook(attempt.provider_ref)
        commit(post_webhook, body, headers)
    run = commit(services.reconcile_day, day=today)
    twice = [m for m in run.mismatches if m["kind"] == "paid_twice"]
    assert twice == [
        {
            "kind": "paid_twice",
            "provider": "test",
            "reference": payment.reference,
            "count": 2,
            "double_refunds": 1,
        }
    ]
    assert [m["kind"] for m in run.mismatches] == ["paid_twice"]


def test_an_unreachable_provider_is_a_listed_mismatch(provider, commit):
    provider.ledger.unavailable = True
    run = commit(services.reconcile_day, day=timezone.localdate())
    assert {
        "kind": "provider_unavailable",
        "provider": "test",
        "detail": "the test acquirer is down",
    } in run.mismatches
