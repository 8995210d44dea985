"""Webhooks accepted fast and applied in batches (docs/payments.md, "Webhooks"): the accepting
request is one INSERT into the inbox (a duplicate too) and its answer; `webhooks_apply` claims
received rows (FOR UPDATE SKIP LOCKED on PostgreSQL, a conditional-UPDATE lease on SQLite) and
applies each through the engine's one status path. Shown here: the statements of the accepting
request, the in-process default answering after the apply, two appliers at once applying each
webhook once, a failing apply retried with backoff and then FAILED (counted on the finance
desk), the beat drain after an enqueue lost to a broker that was down, and the finance desk's
notices of a payment found by the attempt they were applied to."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.payments import finance, services, tasks
from qyzmet.payments.models import Payment, PaymentAttempt, ProviderWebhook
from tests.payments.engine_world import post_webhook, require, start, topics
from tests.payments.finance_world import signed_in
from tests.portal.factories import officer

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def broker(settings):
    """Background work handed to a broker, as in production (Celery's in-memory transport: what
    is sent here is never run, as if the worker were slow), instead of run in-process."""
    from qyzmet.celery import app

    saved = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = saved


def _paid_attempt(provider) -> tuple[Payment, PaymentAttempt]:
    payment = require()
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    return payment, attempt


# --- accepting --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_accepting_a_webhook_is_one_insert_and_a_duplicate_inserts_nothing(provider, broker):
    payment, attempt = _paid_attempt(provider)
    body, headers = provider.webhook(attempt.provider_ref, event_id="ev-fast")
    for copy in ("first", "duplicate"):
        with CaptureQueriesContext(connection) as captured:
            response = post_webhook(body, headers)
        assert response.status_code == 200, copy
        assert response.json() == {"received": True, "state": "received"}
        statements = [q["sql"] for q in captured.captured_queries]
        assert len(statements) <= 3, (copy, statements)
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert len(inserts) == 1 and "payments_providerwebhook" in inserts[0], statements
        assert not any("payments_payment" in s for s in statements), statements
    hook = ProviderWebhook.objects.get()
    assert hook.state == ProviderWebhook.RECEIVED and hook.outcome == "succeeded"
    assert hook.provider_ref == attempt.provider_ref and hook.attempt_id is None
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING  # not applied yet

    assert services.webhooks_apply() == {"processed": 1, "ignored": 0, "retry": 0, "failed": 0}
    payment.refresh_from_db()
    hook.refresh_from_db()
    assert payment.state == Payment.PAID
    assert (hook.state, hook.attempt_id) == (ProviderWebhook.PROCESSED, attempt.pk)
    assert services.webhooks_apply()["processed"] == 0  # nothing is applied twice
    assert topics(payment).count("payment.succeeded") == 1


@pytest.mark.django_db(transaction=True)
def test_in_process_background_work_answers_after_the_payment_is_paid(provider):
    """The embedded default (`make run`, the tests): the apply runs after the inbox commit in
    the same request, so the acquirer's answer — and the citizen's next look — find it paid."""
    payment, attempt = _paid_attempt(provider)
    body, headers = provider.webhook(attempt.provider_ref)
    response = post_webhook(body, headers)
    assert response.json() == {"received": True, "state": "processed"}
    assert Payment.objects.get(pk=payment.pk).state == Payment.PAID
    unknown, unknown_headers = provider.webhook("t777777", amount=100)
    assert post_webhook(unknown, unknown_headers).json()["state"] == "ignored"
    assert post_webhook(body, headers).json()["state"] == "processed"  # the duplicate


# --- applying ---------------------------------------------------------------------------------


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks (SKIP LOCKED) are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_appliers_at_once_never_apply_the_same_webhook_twice(provider, broker):
    """40 payments, each told twice (two events about the same success), accepted, then drained
    by two appliers started together in small batches: each webhook is applied by exactly one,
    each payment paid once, and lock order by payment keeps them from deadlocking."""
    paid = [_paid_attempt(provider) for _ in range(40)]
    for _payment, attempt in paid:
        for _copy in range(2):
            body, headers = provider.webhook(attempt.provider_ref)
            assert post_webhook(body, headers).status_code == 200
    assert ProviderWebhook.objects.filter(state=ProviderWebhook.RECEIVED).count() == 80
    start_together = threading.Barrier(2)
    results: list[dict[str, int] | BaseException] = []

    def applier() -> None:
        from django.db import connection as own

        try:
            start_together.wait()
            totals = {"processed": 0, "ignored": 0, "retry": 0, "failed": 0}
            while True:
                counts = services.webhooks_apply(limit=7)
                for key, value in counts.items():
                    totals[key] += value
                if not any(counts.values()):
                    break
            results.append(totals)
        except BaseException as exc:  # shown by the assertion below
            results.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=applier) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["processed"] for r in results) == 80  # each webhook counted by one applier
    assert all(r["retry"] == 0 and r["failed"] == 0 for r in results), results
    assert ProviderWebhook.objects.filter(state=ProviderWebhook.PROCESSED).count() == 80
    for payment, attempt in paid:
        payment.refresh_from_db()
        assert payment.state == Payment.PAID and payment.amount_paid == payment.amount
        assert ProviderWebhook.objects.filter(attempt=attempt).count() == 2
        assert topics(payment).count("payment.succeeded") == 1
        assert not payment.refunds.exists()
    assert AuditEntry.objects.filter(action="payment.paid").count() == 40


def _refuse_updates_of(payment: Payment) -> None:
    """A database that refuses to change this payment's row (as a constraint or a trigger of a
    later release might): a real error from the database inside the apply, not a mock."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute(
                "CREATE FUNCTION qyzmet_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                " BEGIN RAISE EXCEPTION 'the ledger is closed'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER qyzmet_test_refuse BEFORE UPDATE ON payments_payment FOR EACH ROW"
                f" WHEN (NEW.id = {int(payment.pk)}) EXECUTE FUNCTION qyzmet_test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER qyzmet_test_refuse BEFORE UPDATE ON payments_payment"
                f" WHEN NEW.id = {int(payment.pk)}"
                " BEGIN SELECT RAISE(ABORT, 'the ledger is closed'); END"
            )


def _refuse_no_more() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER qyzmet_test_refuse" + (" ON payments_payment" if ON_POSTGRES
                                                            else ""))  # fmt: skip
        if ON_POSTGRES:
            cursor.execute("DROP FUNCTION qyzmet_test_refuse()")


@pytest.mark.django_db
def test_a_failing_apply_is_retried_with_backoff_then_failed_and_shown_on_the_desk(
    provider, broker, settings, django_capture_on_commit_callbacks
):
    settings.QYZMET_PAYMENT_WEBHOOK_MAX_TRIES = 3
    settings.LANGUAGE_CODE = "en"
    broken, broken_attempt = _paid_attempt(provider)
    healthy, healthy_attempt = _paid_attempt(provider)
    for attempt in (broken_attempt, healthy_attempt):
        body, headers = provider.webhook(attempt.provider_ref)
        post_webhook(body, headers)
    _refuse_updates_of(broken)
    now = timezone.now()

    # The failing webhook is rolled back alone: the other one in the batch is applied.
    assert services.webhooks_apply(now=now) == {
        "processed": 1, "ignored": 0, "retry": 1, "failed": 0,
    }  # fmt: skip
    assert Payment.objects.get(pk=healthy.pk).state == Payment.PAID
    hook = ProviderWebhook.objects.get(attempt=broken_attempt)
    assert (hook.state, hook.tries) == (ProviderWebhook.RECEIVED, 1)
    assert "the ledger is closed" in hook.error
    assert hook.retry_at == now + dt.timedelta(seconds=10)
    assert Payment.objects.get(pk=broken.pk).state == Payment.AWAITING
    assert not AuditEntry.objects.filter(action="payment.paid", object_id=str(broken.pk)).exists()

    # Not before its backoff; then again (20 s later the next), then FAILED at the third try.
    assert services.webhooks_apply(now=now + dt.timedelta(seconds=9))["retry"] == 0
    assert services.webhooks_apply(now=now + dt.timedelta(seconds=11))["retry"] == 1
    hook.refresh_from_db()
    assert hook.tries == 2 and hook.retry_at == now + dt.timedelta(seconds=31)
    assert services.webhooks_apply(now=now + dt.timedelta(seconds=32))["failed"] == 1
    hook.refresh_from_db()
    assert (hook.state, hook.tries) == (ProviderWebhook.FAILED, 3)
    assert services.webhooks_apply(now=now + dt.timedelta(hours=1))["failed"] == 0  # left alone

    # The finance desk counts it; the payment's page lists it.
    treasurer = officer("kz-gov-corp", finance.TREASURY_ROLE)
    scope = finance.desk_scope(user=treasurer)
    assert finance.webhooks_failed_count(scope=scope) == 1
    page = signed_in(treasurer).get("/backoffice/finance/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "1 notice from a payment provider could not be applied." in page.content.decode()
    detail = finance.payment_detail(scope=scope, public_id=broken.public_id)
    assert [(w.id, w.state) for w in detail.webhooks] == [(hook.pk, ProviderWebhook.FAILED)]

    # The charge is still settled: the poll asks the acquirer once the database lets it.
    _refuse_no_more()
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_refresh(attempt_id=broken_attempt.pk)
    assert Payment.objects.get(pk=broken.pk).state == Payment.PAID


@pytest.mark.django_db(transaction=True)
def test_an_enqueue_lost_to_a_broker_that_is_down_is_drained_by_beat(provider, broker, settings):
    """The broker is unreachable when the webhook is accepted: the acquirer is still answered
    200 (the inbox row is committed), and the beat entry, every 10 s, applies it."""
    assert settings.CELERY_BEAT_SCHEDULE["payments-webhooks-apply"] == {
        "task": "qyzmet.payments.tasks.webhooks_apply",
        "schedule": 10.0,
    }
    saved = broker.conf.broker_url
    broker.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens there
    broker.conf.broker_connection_retry_on_startup = False
    broker._pool = None
    try:
        payment, attempt = _paid_attempt(provider)
        body, headers = provider.webhook(attempt.provider_ref)
        assert post_webhook(body, headers).status_code == 200
    finally:
        broker.conf.broker_url = saved
        broker._pool = None
    hook = ProviderWebhook.objects.get()
    assert hook.state == ProviderWebhook.RECEIVED
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    tasks.webhooks_apply.apply(throw=True)  # what beat sends every 10 s, run by a worker
    hook.refresh_from_db()
    assert hook.state == ProviderWebhook.PROCESSED
    assert Payment.objects.get(pk=payment.pk).state == Payment.PAID


@pytest.mark.django_db
def test_the_finance_desk_lists_a_payments_own_notices_only(provider, broker):
    payment, attempt = _paid_attempt(provider)
    other, other_attempt = _paid_attempt(provider)
    for ref in (attempt.provider_ref, other_attempt.provider_ref):
        body, headers = provider.webhook(ref)
        post_webhook(body, headers)
    scope = finance.DeskScope(agencies=None, platform=True, may_import=False)
    waiting = finance.payment_detail(scope=scope, public_id=payment.public_id).webhooks
    assert [w.state for w in waiting] == [ProviderWebhook.RECEIVED]  # found by its charge
    services.webhooks_apply()
    unknown, unknown_headers = provider.webhook("t999999", amount=100)
    post_webhook(unknown, unknown_headers)
    services.webhooks_apply()
    rows = finance.payment_detail(scope=scope, public_id=payment.public_id).webhooks
    mine = ProviderWebhook.objects.get(attempt=attempt)
    assert [(w.id, w.state) for w in rows] == [(mine.pk, ProviderWebhook.PROCESSED)]
    theirs = finance.payment_detail(scope=scope, public_id=other.public_id).webhooks
    assert [w.id for w in theirs] == [ProviderWebhook.objects.get(attempt=other_attempt).pk]
