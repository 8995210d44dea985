"""Background work on payments (celery; beat runs the sweeps). Tasks take ids, and every one is
safe to re-run and to run twice at once (the services claim rows with conditional UPDATEs and
send money only with idempotency keys)."""

from __future__ import annotations

import datetime as dt
import time

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="qyzmet.payments.tasks.attempts_poll_due")
def attempts_poll_due() -> dict[str, int]:
    """Every minute: pending attempts whose poll is due (lost webhooks), unsent refunds."""
    return services.attempts_poll_due()


# How long one `webhooks_apply` task keeps draining a backlog before it returns (the next task,
# or the beat drain, carries on): a worker is never held by one task for long.
WEBHOOKS_DRAIN_SECONDS = 20.0


@shared_task(name="qyzmet.payments.tasks.webhooks_apply", ignore_result=True)
def webhooks_apply(limit: int = services.WEBHOOK_BATCH) -> dict[str, int]:
    """After each accepted webhook, and every 10 s from beat (a lost enqueue or a broker that
    was down loses nothing): apply received webhooks, batch after batch while batches come back
    full, for at most `WEBHOOKS_DRAIN_SECONDS`. Any number may run at once (rows are claimed)."""
    totals: dict[str, int] = {}
    deadline = time.monotonic() + WEBHOOKS_DRAIN_SECONDS
    while True:
        counts = services.webhooks_apply(limit=limit)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if sum(counts.values()) < limit or time.monotonic() > deadline:
            return totals


@shared_task(name="qyzmet.payments.tasks.attempt_refresh")
def attempt_refresh(attempt_id: int) -> str:
    return services.attempt_refresh(attempt_id=attempt_id).state


@shared_task(name="qyzmet.payments.tasks.payments_expire_due")
def payments_expire_due() -> dict[str, int]:
    """Unpaid payments past their time: a last poll, then EXPIRED."""
    return services.payments_expire_due()


@shared_task(name="qyzmet.payments.tasks.refund_send")
def refund_send(refund_id: int) -> str:
    return services.refund_send(refund_id=refund_id)


@shared_task(name="qyzmet.payments.tasks.reconcile_day")
def reconcile_day(day: str) -> int:
    """Reconcile one day (ISO date); returns the number of mismatches listed."""
    run = services.reconcile_day(day=dt.date.fromisoformat(day))
    return len(run.mismatches)


@shared_task(name="qyzmet.payments.tasks.reconcile_yesterday")
def reconcile_yesterday() -> int:
    """Hourly: yesterday's reconciliation, run again as late statements and reports arrive
    (a run replaces the day's previous one)."""
    day = timezone.localdate() - dt.timedelta(days=1)
    return len(services.reconcile_day(day=day).mismatches)
