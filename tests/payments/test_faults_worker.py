"""Nothing lost, nothing charged twice — shown against real processes: the sandbox acquirer
(its own HTTP server and SQLite file), the platform's web server (gunicorn) accepting its
webhooks into the inbox, a Celery worker applying them and Celery beat, all on PostgreSQL with a
real broker. Each test breaks one thing the way it breaks in production — `kill -9` of the
acquirer or of the worker, a database connection dropped inside the apply's transaction, the
task that should apply a webhook lost, webhooks late, twice, out of order or never — and then
reads the rows: one success, one `payment.succeeded`, one receipt, and one charge in the
acquirer's own settlement report. The tests wait for states (with a timeout): the answer to
the acquirer comes before the apply.

Needs QYZMET_TEST_BROKER_URL and QYZMET_DATABASE_URL on PostgreSQL (as tests/worker does):
`.ci/run` provides both. The payer and the platform's own calls (`attempt_start`) run here."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.documents.models import Document
from qyzmet.payments import selectors, services, tasks
from qyzmet.payments.models import Payment, PaymentAttempt, ProviderWebhook, ReconciliationRun
from qyzmet.payments.sandbox.server import SIGNATURE_HEADER, signature_header
from tests.payments.engine_world import require
from tests.payments.fault_support import (
    CeleryBeat,
    CeleryWorker,
    WebServer,
    database_url,
    environment,
    wait_for,
)
from tests.payments.sandbox_support import SECRET, SandboxProcess, WebhookSink, pay

# The sandbox process fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]

BROKER = os.environ.get("QYZMET_TEST_BROKER_URL", "")
ON_POSTGRES = os.environ.get("QYZMET_DATABASE_URL", "").startswith("postgres")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (BROKER and ON_POSTGRES),
        reason="needs QYZMET_TEST_BROKER_URL and PostgreSQL (production's pair: the embedded "
        "SQLite default runs background work eagerly); .ci/run provides both",
    ),
    pytest.mark.django_db(transaction=True),
]

SUCCESS_CARD = "4000000000000002"
DECLINE_CARD = "4000000000000010"
NO_WEBHOOK_CARD = "4000000000000036"


@dataclass
class Platform:
    web: WebServer
    worker: CeleryWorker
    env: dict[str, str]
    workdir: Path

    def logs(self) -> str:
        return f"--- web ---\n{self.web.output()}\n--- worker ---\n{self.worker.output()}"


def _forget_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture(scope="module")
def platform_processes(
    django_db_setup, sandbox_server: SandboxProcess, tmp_path_factory
) -> Iterator[Platform]:
    from qyzmet.celery import app

    env = environment(
        db_url=database_url(connection.settings_dict),
        broker=BROKER,
        sandbox_url=sandbox_server.url,
        secret=SECRET,
    )
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    _forget_connections(app)
    app.conf.broker_url = BROKER
    app.conf.task_always_eager = False
    app.control.purge()
    workdir = tmp_path_factory.mktemp("platform")
    web = WebServer(workdir, env).start()
    worker = CeleryWorker(workdir, env).start()
    try:
        yield Platform(web=web, worker=worker, env=env, workdir=workdir)
    finally:
        web.stop()
        worker.stop()
        _forget_connections(app)
        app.conf.broker_url, app.conf.task_always_eager = saved


@pytest.fixture
def platform(platform_processes: Platform, sandbox: SandboxProcess, settings) -> Iterator[Platform]:
    """The processes up (restarted if a test killed one), this process configured like them."""
    if not platform_processes.web.alive():
        platform_processes.web.start()
    if not platform_processes.worker.alive():
        platform_processes.worker.start()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.QYZMET_PUBLIC_BASE_URL = platform_processes.web.url
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": sandbox.url, "secret": SECRET, "timeout": 5}
    }
    settings.QYZMET_PAYMENT_POLL_AFTER_SECONDS = 1
    settings.QYZMET_PAYMENT_POLL_MAX_SECONDS = 2
    yield platform_processes
    print(platform_processes.logs())  # shown by pytest when the test failed


@pytest.fixture
def beat(platform: Platform, tmp_path: Path) -> Iterator[CeleryBeat]:
    """Celery beat sending the poll sweep every second (tests/payments/fault_settings.py)."""
    process = CeleryBeat(tmp_path, platform.env).start()
    yield process
    process.stop()
    print(f"--- beat ---\n{process.output()}")


# --- the payer, the platform and the acquirer's books ---------------------------------------


def _start(payment: Payment, *, key: str | None = None):
    return services.attempt_start(
        actor=None,
        payment_public_id=payment.public_id,
        provider="sandbox",
        idempotency_key=key or f"fault-{uuid.uuid4()}",
        return_url="http://127.0.0.1:8000/back/",
    )


def _paid(payment: Payment, timeout: float = 30.0) -> Payment:
    return wait_for(
        lambda: Payment.objects.filter(pk=payment.pk, state=Payment.PAID).first(),
        timeout=timeout,
        what=f"payment {payment.reference} to be paid",
    )


def _charges(sandbox: SandboxProcess, reference: str) -> list[dict[str, Any]]:
    """The acquirer's own record of money taken for `reference`: today's settlement report."""
    day = timezone.localdate().isoformat()
    with sandbox.api() as api:
        report = api.get(f"/v1/settlements/{day}").json()
    return [
        line
        for line in report["lines"]
        if line["type"] == "payment" and line["reference"] == reference
    ]


def _succeeded_events(payment: Payment) -> int:
    return OutboxEvent.objects.filter(
        topic="payment.succeeded", payload__payment_id=payment.pk
    ).count()


def _receipts(payment: Payment, timeout: float = 30.0) -> int:
    """Receipts issued for the payment by the worker (from `payment.succeeded`)."""
    wait_for(
        lambda: Payment.objects.filter(pk=payment.pk).exclude(receipt_document_id="").exists(),
        timeout=timeout,
        what="the worker to issue the receipt",
    )
    return Document.objects.filter(source_ref=f"payment:{payment.pk}").count()


def _paid_once(payment: Payment, sandbox: SandboxProcess) -> Payment:
    """Everything that says "paid exactly once", on both sides of the wire."""
    payment = _paid(payment)
    assert payment.amount_paid == payment.amount
    attempts = PaymentAttempt.objects.filter(payment=payment)
    assert attempts.filter(state=PaymentAttempt.SUCCEEDED).count() == 1
    assert not attempts.filter(state=PaymentAttempt.REFUNDED).exists()  # no double payment
    assert not payment.refunds.exists()
    assert _succeeded_events(payment) == 1
    assert AuditEntry.objects.filter(action="payment.paid", object_id=str(payment.pk)).count() == 1
    assert _receipts(payment) == 1
    assert len(_charges(sandbox, payment.reference)) == 1
    return payment


def _paid_via(payment: Payment) -> str:
    entry = AuditEntry.objects.get(action="payment.paid", object_id=str(payment.pk))
    return entry.data["via"]


# --- the acquirer dies ------------------------------------------------------------------------


def test_acquirer_killed_after_taking_the_money_tells_us_after_restart(platform, sandbox):
    payment = require()
    attempt = _start(payment)
    assert attempt.state == PaymentAttempt.PENDING and attempt.provider_ref
    # The acquirer will hold its webhook for a minute: it dies holding it.
    sandbox.control(delay_ms=60_000)
    assert pay(attempt.next_url, SUCCESS_CARD).status_code == 303  # the card is charged
    time.sleep(0.5)
    sandbox.kill()  # kill -9, the notification unsent
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
    view = selectors.payment_by_public_id(public_id=payment.public_id)
    assert view is not None and view.state == Payment.AWAITING  # the truth: not paid yet
    sandbox.start()  # its queue survived in its own database: the webhook goes out now
    payment = _paid_once(payment, sandbox)
    assert _paid_via(payment) == "webhook"
    assert ProviderWebhook.objects.filter(state=ProviderWebhook.PROCESSED).count() == 1


def test_acquirer_down_when_the_attempt_starts_charges_nothing_and_a_retry_pays_once(
    platform, sandbox
):
    payment = require()
    sandbox.kill()
    failed = _start(payment)
    assert (failed.state, failed.failure_code) == ("failed", "provider_unavailable")
    assert failed.provider_ref == "" and failed.next_url == ""  # no page: nothing to pay on
    sandbox.start()
    attempt = _start(payment)  # "Try again" makes a new attempt with a new key
    assert attempt.state == PaymentAttempt.PENDING
    pay(attempt.next_url, SUCCESS_CARD)
    _paid_once(payment, sandbox)
    failed.refresh_from_db()
    assert failed.state == PaymentAttempt.FAILED


def test_acquirer_killed_while_answering_the_create_leaves_nothing_payable(platform, sandbox):
    """The acquirer made the charge but died before answering: the attempt fails (we never got
    its page), the charge it made is never paid, and a new attempt pays once."""
    payment = require()
    sandbox.control(delay_ms=60_000)  # the answer comes after a minute, or never
    killer = threading.Timer(1.5, sandbox.kill)
    killer.start()
    failed = _start(payment)
    killer.join()
    assert (failed.state, failed.failure_code) == ("failed", "provider_unavailable")
    sandbox.start()
    attempt = _start(payment)
    pay(attempt.next_url, SUCCESS_CARD)
    _paid_once(payment, sandbox)  # one charge in the acquirer's report, not two


# --- the worker dies or loses its database inside the webhook's apply -------------------------
# The web server answers the acquirer once the webhook is in the inbox (one INSERT); the apply
# runs on the worker. So the faults that matter are the worker's: its transaction killed or
# cut off while it holds the payment, and the task that should apply a webhook lost.


def _lock_payment(payment: Payment) -> psycopg.Connection:
    """Another session holding the payment's row: the apply's transaction waits on it."""
    s = connection.settings_dict
    conn = psycopg.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        user=s.get("USER") or "postgres",
        dbname=s["NAME"],
    )
    conn.execute("SELECT id FROM payments_payment WHERE id = %s FOR UPDATE", (payment.pk,))
    return conn


def _blocked_backends() -> list[int]:
    """PostgreSQL backends (the worker's) waiting for the payment's row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            ["%payments_payment%FOR UPDATE%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_apply_loses_its_database_connection_and_the_webhook_is_applied_once(
    platform, sandbox, tmp_path
):
    payment = require()
    attempt = _start(payment)
    lock = _lock_payment(payment)
    try:
        pay(attempt.next_url, SUCCESS_CARD)
        (backend,) = wait_for(_blocked_backends, timeout=20, what="the apply to wait")
        # Accepted (stored and answered) before it was acted upon; not applied yet.
        hook = ProviderWebhook.objects.get(provider="sandbox")
        assert hook.state == ProviderWebhook.RECEIVED
        with connection.cursor() as cursor:  # the worker's connection dropped mid-transaction
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        wait_for(lambda: not _blocked_backends(), timeout=20, what="its transaction to end")
        assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
        assert ProviderWebhook.objects.get().state == ProviderWebhook.RECEIVED
    finally:
        lock.rollback()
        lock.close()
    beat = CeleryBeat(tmp_path, platform.env).start()  # the drain, every second here
    try:
        payment = _paid_once(payment, sandbox)
        hook = wait_for(
            lambda: ProviderWebhook.objects.filter(state=ProviderWebhook.PROCESSED).first(),
            what="the webhook to be applied",
        )
    finally:
        beat.stop()
    assert hook.attempt_id == attempt.pk
    assert ProviderWebhook.objects.count() == 1  # the same event, stored once


def test_worker_killed_inside_the_apply_transaction_and_the_payment_is_recorded_once(
    platform, sandbox, tmp_path
):
    payment = require()
    attempt = _start(payment)
    lock = _lock_payment(payment)
    try:
        pay(attempt.next_url, SUCCESS_CARD)
        wait_for(_blocked_backends, timeout=20, what="the apply to wait")
        platform.worker.kill()  # kill -9 with the apply's transaction open
        assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING
        assert ProviderWebhook.objects.get().state == ProviderWebhook.RECEIVED
        platform.worker.start()
    finally:
        # Its backend, still waiting, gets the row, finds its client gone and rolls back.
        lock.rollback()
        lock.close()
    beat = CeleryBeat(tmp_path, platform.env).start()
    try:
        payment = _paid_once(payment, sandbox)
        wait_for(
            lambda: ProviderWebhook.objects.filter(state=ProviderWebhook.PROCESSED).exists(),
            what="the webhook to be applied",
        )
    finally:
        beat.stop()
    assert ProviderWebhook.objects.get().attempt_id == attempt.pk


def test_apply_task_lost_while_the_worker_was_down_is_drained_by_beat(platform, sandbox, tmp_path):
    """The worker is down and the broker loses the queued task (restarted without
    persistence): the acquirer was answered, the webhook waits in the inbox, and the beat drain
    applies it once a worker is back."""
    from qyzmet.celery import app

    payment = require()
    attempt = _start(payment)
    platform.worker.stop()
    pay(attempt.next_url, SUCCESS_CARD)
    hook = wait_for(
        lambda: ProviderWebhook.objects.filter(provider="sandbox").first(),
        timeout=20,
        what="the webhook to be accepted",
    )
    assert hook.state == ProviderWebhook.RECEIVED
    time.sleep(0.3)  # the web process's coalesced enqueue (50 ms) has left
    app.control.purge()  # the task that would apply it is lost
    platform.worker.start()
    time.sleep(2.0)
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING  # nothing queued
    beat = CeleryBeat(tmp_path, platform.env).start()
    try:
        _paid_once(payment, sandbox)  # by the drain, or by the poll that beat also sends
        hook = wait_for(  # only the drain applies a webhook
            lambda: ProviderWebhook.objects.filter(state=ProviderWebhook.PROCESSED).first(),
            what="the webhook to be applied",
        )
    finally:
        beat.stop()
    assert hook.attempt_id == attempt.pk


# --- webhooks late, twice, out of order, never -----------------------------------------------


def test_delayed_webhook_pending_until_it_arrives(platform, sandbox):
    payment = require()
    attempt = _start(payment)
    sandbox.control(delay_ms=3_000)
    pay(attempt.next_url, SUCCESS_CARD)
    time.sleep(1.0)
    view = selectors.payment_by_public_id(public_id=payment.public_id)
    assert view is not None and view.state == Payment.AWAITING
    assert PaymentAttempt.objects.get(pk=attempt.pk).state == PaymentAttempt.PENDING
    payment = _paid_once(payment, sandbox)
    assert _paid_via(payment) == "webhook"


def test_duplicated_webhook_is_applied_once(platform, sandbox):
    payment = require()
    attempt = _start(payment)
    sandbox.control(duplicate_webhooks=True)
    pay(attempt.next_url, SUCCESS_CARD)
    _paid_once(payment, sandbox)
    # Both copies were delivered and answered 2xx, the second recognised by its event id.
    wait_for(
        lambda: sandbox.control_state()["webhooks"].get("sent", 0) >= 2,
        timeout=20,
        what="both copies to be sent",
    )
    assert ProviderWebhook.objects.count() == 1
    assert _succeeded_events(payment) == 1


def _forward(platform: Platform, hook: dict[str, Any], body: bytes | None = None) -> int:
    """Post a webhook the acquirer sent to the sink on to the platform, as a network that
    reorders would deliver it (the acquirer's own signed body and headers)."""
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: hook["headers"][SIGNATURE_HEADER],
    }
    if body is not None:  # a different body, signed with the acquirer's key
        headers[SIGNATURE_HEADER] = signature_header(
            secret=SECRET, body=body, timestamp=int(time.time())
        )
    response = httpx.post(
        f"{platform.web.url}/api/v1/payments/webhooks/sandbox",
        content=body if body is not None else hook["body"],
        headers=headers,
        timeout=10,
    )
    return response.status_code


def test_reordered_webhooks_a_final_state_never_goes_back(platform, sandbox, settings):
    sink = WebhookSink()  # the acquirer's webhooks are caught here and delivered out of order
    try:
        settings.QYZMET_PAYMENT_PROVIDERS["sandbox"]["webhook_url"] = sink.url
        payment = require()
        declined = _start(payment)
        sandbox.control(reorder_webhooks=True)
        pay(declined.next_url, DECLINE_CARD)
        attempt = _start(payment)  # the declined attempt is over (asked afresh): a new one
        pay(attempt.next_url, SUCCESS_CARD)
        first = sink.wait_for(declined.provider_ref, count=2)
        second = sink.wait_for(attempt.provider_ref, count=2)
        assert [h["event"]["payment"]["state"] for h in second] == ["succeeded", "pending"]
        # Delivered newest first: the success, then its stale "pending", then the earlier
        # attempt's decline and its stale "pending".
        for hook in (second[0], second[1], first[1], first[0]):
            assert _forward(platform, hook) == 200
        payment = _paid_once(payment, sandbox)
        attempt.refresh_from_db()
        assert attempt.state == PaymentAttempt.SUCCEEDED
        assert PaymentAttempt.objects.get(pk=declined.pk).state == PaymentAttempt.DECLINED
        # A "declined" about the charge that succeeded (a replaying or buggy acquirer): ignored.
        contrary = second[0]["event"]
        contrary = {
            **contrary,
            "event_id": f"evt_{uuid.uuid4().hex[:24]}",
            "type": "payment.declined",
            "payment": {**contrary["payment"], "state": "declined", "failure_code": "x"},
        }
        assert _forward(platform, second[0], json.dumps(contrary).encode()) == 200
        late = wait_for(  # answered when stored; applied by the worker just after
            lambda: ProviderWebhook.objects.filter(
                event_id=contrary["event_id"], state=ProviderWebhook.PROCESSED
            ).first(),
            what="the contrary webhook to be applied",
        )
        assert late.error == "ignored: the attempt already had a final result"
        attempt.refresh_from_db()
        assert attempt.state == PaymentAttempt.SUCCEEDED
        _paid_once(payment, sandbox)
    finally:
        sink.close()


def test_dropped_webhook_recovered_by_the_poll_that_beat_sends_to_the_worker(
    platform, sandbox, beat
):
    payment = require()
    attempt = _start(payment)
    pay(attempt.next_url, NO_WEBHOOK_CARD)  # succeeds; the acquirer never tells us
    payment = _paid_once(payment, sandbox)
    assert _paid_via(payment) == "poll"
    assert not ProviderWebhook.objects.exists()


def test_dropped_webhooks_recovered_by_the_daily_reconciliation_on_the_worker(platform, sandbox):
    payment = require()
    attempt = _start(payment)
    sandbox.control(drop_webhooks=True)
    dropped = sandbox.control_state()["webhooks"].get("dropped", 0)
    pay(attempt.next_url, SUCCESS_CARD)
    time.sleep(1.0)
    assert sandbox.control_state()["webhooks"].get("dropped", 0) == dropped + 1
    assert Payment.objects.get(pk=payment.pk).state == Payment.AWAITING  # no beat here
    tasks.reconcile_day.delay(timezone.localdate().isoformat())  # the worker runs it
    payment = _paid_once(payment, sandbox)
    assert _paid_via(payment) == "settlement"
    run = ReconciliationRun.objects.get(day=timezone.localdate())
    recovered = [m for m in run.mismatches if m["kind"] == "recovered"]
    assert [(m["reference"], m["outcome"]) for m in recovered] == [(payment.reference, "paid")]


# --- the payer clicks twice ------------------------------------------------------------------


def test_double_click_with_one_key_makes_one_attempt_and_one_charge(platform, sandbox):
    payment = require()
    key = f"fault-{uuid.uuid4()}"
    results: list[Any] = []

    def click() -> None:
        from django.db import connection as thread_connection

        try:
            results.append(_start(payment, key=key))
        except Exception as exc:  # reported below
            results.append(exc)
        finally:
            thread_connection.close()

    clicks = [threading.Thread(target=click) for _ in range(3)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert all(isinstance(r, PaymentAttempt) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert len({r.provider_ref for r in results}) == 1
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    # The payer double-clicks "Pay" on the hosted page too.
    next_url = results[0].next_url
    with httpx.Client(timeout=10) as browser:
        browser.get(next_url)
        form = {"card_number": SUCCESS_CARD, "expiry": "08/39", "cvc": "123", "name": "A B"}
        both = [browser.post(next_url, data=form) for _ in range(2)]
    assert [r.status_code for r in both] == [303, 303]
    _paid_once(payment, sandbox)


def test_another_key_while_an_attempt_is_pending_is_refused(platform, sandbox):
    payment = require()
    attempt = _start(payment)
    with pytest.raises(Problem) as refused:
        _start(payment)  # a second tab, a new key: the first page is still open
    assert refused.value.status == 409
    assert refused.value.code == "payment_attempt_in_progress"
    assert PaymentAttempt.objects.filter(payment=payment).count() == 1
    pay(attempt.next_url, SUCCESS_CARD)
    _paid_once(payment, sandbox)
    with pytest.raises(Problem) as paid:
        _start(payment)
    assert paid.value.code == "payment_not_payable"
