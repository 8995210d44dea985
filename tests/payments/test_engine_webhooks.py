"""Webhooks over real HTTP to the real endpoint, signed with real HMAC by the `test` plug-in:
verified, stored, de-duplicated, applied out of order safely, unknown charges flagged, bad
signatures refused and logged, and a second success refunded automatically.

These tests run inside a transaction: the request's answer is given when the inbox row is
stored ("received"), and the apply handed over after commit runs when `commit` runs the
after-commit work (in-process, as the embedded default does). The batch apply itself, its
claims, retries and the accepting request's statements: test_engine_webhooks_apply.py."""

from __future__ import annotations

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.payments.models import Payment, PaymentAttempt, ProviderWebhook, Refund
from qyzmet.payments.providers.base import DECLINED, PENDING
from tests.payments.engine_world import post_webhook, require, start, topics

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run after-commit work (outbox delivery, refund sending) as a committed request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_a_signed_success_pays_and_its_duplicate_changes_nothing(provider, commit):
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    body, headers = provider.webhook(attempt.provider_ref, event_id="ev-1")
    response = commit(post_webhook, body, headers)
    assert response.status_code == 200
    assert response.json() == {"received": True, "state": "received"}
    payment.refresh_from_db()
    attempt.refresh_from_db()
    assert payment.state == Payment.PAID and payment.amount_paid == payment.amount
    assert attempt.state == PaymentAttempt.SUCCEEDED
    hook = ProviderWebhook.objects.get()
    assert hook.event_id == "ev-1" and hook.state == ProviderWebhook.PROCESSED
    assert bytes(hook.body) == body and hook.remote_addr == "127.0.0.1"
    assert hook.attempt_id == attempt.pk and hook.outcome == "succeeded"
    assert hook.amount == payment.amount and hook.provider_ref == attempt.provider_ref

    again = commit(post_webhook, body, headers)
    assert again.status_code == 200 and again.json()["received"] is True
    assert ProviderWebhook.objects.count() == 1
    assert ProviderWebhook.objects.get().state == ProviderWebhook.PROCESSED
    assert topics(payment).count("payment.succeeded") == 1


def test_out_of_order_a_final_state_never_goes_back(provider, commit):
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    success, headers = provider.webhook(attempt.provider_ref)
    late_pending, pending_headers = provider.webhook(attempt.provider_ref, outcome=PENDING)
    late_decline, decline_headers = provider.webhook(attempt.provider_ref, outcome=DECLINED)
    assert commit(post_webhook, success, headers).status_code == 200
    assert commit(post_webhook, late_pending, pending_headers).status_code == 200
    assert commit(post_webhook, late_decline, decline_headers).status_code == 200
    attempt.refresh_from_db()
    payment.refresh_from_db()
    assert attempt.state == PaymentAttempt.SUCCEEDED and payment.state == Payment.PAID
    stale = ProviderWebhook.objects.order_by("-id").first()
    assert stale.state == ProviderWebhook.PROCESSED and "final result" in stale.error
    assert "payment.declined" not in topics(payment)


def test_a_decline_then_a_success_for_the_same_charge_counts_the_money(provider, commit):
    payment = require()
    attempt = start(payment)
    decline, decline_headers = provider.webhook(attempt.provider_ref, outcome=DECLINED)
    commit(post_webhook, decline, decline_headers)
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.DECLINED
    assert topics(payment) == ["payment.required", "payment.declined"]
    provider.pay(attempt.provider_ref)  # the acquirer's final word: the money moved
    success, headers = provider.webhook(attempt.provider_ref)
    commit(post_webhook, success, headers)
    payment.refresh_from_db()
    assert payment.state == Payment.PAID


def test_a_webhook_for_an_unknown_charge_is_ignored_and_flagged(provider, commit):
    payment = require()
    body, headers = provider.webhook("t999999", amount=payment.amount)
    response = commit(post_webhook, body, headers)
    assert response.status_code == 200 and response.json()["received"] is True
    hook = ProviderWebhook.objects.get()
    assert hook.state == ProviderWebhook.IGNORED and hook.error == "unknown payment"
    payment.refresh_from_db()
    assert payment.state == Payment.AWAITING


def test_a_bad_signature_is_refused_stored_and_audited(provider, commit):
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    body, _ = provider.webhook(attempt.provider_ref, secret="not-the-secret")
    _, good_headers = provider.webhook(attempt.provider_ref)
    for headers in ({"X-Test-Signature": "0" * 64}, {}, good_headers):  # good for another body
        response = commit(post_webhook, body, headers)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "webhook_rejected"
    assert ProviderWebhook.objects.filter(state=ProviderWebhook.REJECTED).count() == 3
    assert (
        AuditEntry.objects.filter(action="payment.webhook_rejected", kind="security").count() == 3
    )
    payment.refresh_from_db()
    assert payment.state == Payment.AWAITING


def test_an_unknown_provider_is_404_problem(provider):
    for name in ("nope", "NOT_A_CODE!"):
        response = post_webhook(b"{}", {}, provider=name)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_a_webhook_stored_but_not_applied_before_a_crash_is_applied_when_resent(provider, commit):
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    body, headers = provider.webhook(attempt.provider_ref, event_id="ev-crash")
    post_webhook(body, headers)  # stored; its apply never ran (the after-commit work was lost)
    hook = ProviderWebhook.objects.get()
    assert hook.state == ProviderWebhook.RECEIVED
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    commit(post_webhook, body, headers)  # the acquirer sends it again
    payment.refresh_from_db()
    assert payment.state == Payment.PAID
    hook = ProviderWebhook.objects.get()  # stored once, applied once
    assert hook.state == ProviderWebhook.PROCESSED and hook.attempt_id == attempt.pk
    assert topics(payment).count("payment.succeeded") == 1


def test_a_second_attempt_paid_after_the_first_is_refunded_in_full(provider, commit, settings):
    settings.QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS = 0  # the first page looked abandoned
    payment = require()
    first = start(payment)
    second = start(payment)
    for attempt in (second, first):  # both charged; the second's news comes first
        provider.pay(attempt.provider_ref)
        body, headers = provider.webhook(attempt.provider_ref)
        assert commit(post_webhook, body, headers).status_code == 200
    payment.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert payment.state == Payment.PAID and payment.amount_paid == payment.amount
    assert payment.amount_refunded == 0
    assert second.state == PaymentAttempt.SUCCEEDED
    assert first.state == PaymentAttempt.REFUNDED and first.failure_code == "double_payment"
    refund = Refund.objects.get()
    assert (refund.kind, refund.state, refund.amount) == (
        Refund.DOUBLE,
        Refund.SUCCEEDED,
        payment.amount,
    )
    assert refund.attempt_id == first.pk
    sent = provider.ledger.refunds[refund.idempotency_key]
    assert sent["charge"] == first.provider_ref and sent["amount"] == payment.amount
    assert AuditEntry.objects.filter(action="payment.double_refund").count() == 1
    assert topics(payment).count("payment.succeeded") == 1
