"""Webhooks: stored before they are acted upon (the inbox), then applied in batches by
workers, coalescing the enqueues of one web process."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.compiled import CompiledInsert
from qyzmet.core.tasks import enqueue_now

from ..models import PaymentAttempt, ProviderWebhook
from ..providers.base import Status, WebhookRejected
from ..selectors import webhooks_due
from .configuration import provider_for
from .outcomes import MISMATCH, STALE, _status_apply

log = logging.getLogger(__name__)


def _remote(addr: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(addr)) if addr else None
    except ValueError:
        return None


def webhook_receive(
    *, provider: str, body: bytes, headers: Mapping[str, str], remote_addr: str | None
) -> ProviderWebhook:
    """Accept one webhook: verified by the provider's plug-in, stored in the inbox as RECEIVED
    with the status it tells — ONE insert, which also recognises a duplicate event id (the
    unique (provider, event_id) makes a second copy insert nothing) — and, after that commit,
    one `webhooks_apply` handed to a worker. The caller answers 200 then: the acquirer is told
    "stored", and the payment is paid within seconds (with in-process background work, the
    embedded default, before this returns, as the returned row's state says).

    A bad signature or body is kept as REJECTED with a security audit row and raises
    `WebhookRejected`. Unknown provider: 404 problem. The hot path of a busy acquirer
    (docs/benchmarks-payments.md): no look-up, no lock, no audit row here; all of that happens
    in `webhooks_apply`, in batches."""
    impl = provider_for(provider)
    remote = _remote(remote_addr)
    try:
        event = impl.webhook_parse(body=body, headers=headers)
    except WebhookRejected as exc:
        with transaction.atomic():
            hook = ProviderWebhook.objects.create(
                provider=provider,
                body=bytes(body[:65536]),
                state=ProviderWebhook.REJECTED,
                error=str(exc)[:300],
                processed_at=timezone.now(),
                remote_addr=remote,
            )
            audit_record(
                actor=None,
                kind=Kind.SECURITY,
                action="payment.webhook_rejected",
                object_type="provider_webhook",
                object_id=hook.pk,
                data={"provider": provider, "error": str(exc)[:300], "remote_addr": remote or ""},
            )
        log.warning("webhook from %s for %s rejected: %s", remote, provider, exc)
        raise
    status = event.status
    values = {
        "provider": provider,
        "event_id": event.event_id[:100],
        "body": bytes(body),
        "remote_addr": remote,
        "provider_ref": status.provider_ref[:100],
        "outcome": status.outcome[:20],
        "amount": status.amount,
        "currency": status.currency[:3],
        "decided_at": status.at,
        "failure_code": (status.failure_code or "")[:60],
    }
    # One INSERT ... ON CONFLICT DO NOTHING (INSERT OR IGNORE on SQLite), compiled once per
    # process, in autocommit: a duplicate costs this one statement too and is never applied
    # twice. A duplicate of a row still RECEIVED (its apply was lost) is applied by the drain
    # below like any other.
    _INBOX_INSERT.insert_many([values], ignore_conflicts=True)
    hook = ProviderWebhook(**values)
    transaction.on_commit(_webhooks_apply_soon)
    if _apply_inline() and not transaction.get_connection().in_atomic_block:
        # Applied already (in-process background work): say what became of it.
        found = (
            ProviderWebhook.objects.filter(provider=provider, event_id=hook.event_id)
            .values_list("pk", "state", "error", "processed_at")
            .first()
        )
        if found is not None:
            hook.pk, hook.state, hook.error, hook.processed_at = found
    return hook


_INBOX_INSERT = CompiledInsert(ProviderWebhook)


def _apply_inline() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _webhooks_apply_soon() -> None:
    """After the inbox commit: a `webhooks_apply` on a worker; with in-process background
    work (the embedded default), run here, so the payment is paid when the answer leaves. A
    broker that is down loses nothing: the beat drain (every 10 s) applies what is left."""
    if _apply_inline():
        try:
            webhooks_apply()
        except Exception:
            log.exception("applying webhooks failed; the drain will retry")
        return
    _ENQUEUES.request()


def _webhooks_apply_enqueue() -> None:
    """Called by the coalescer, after the webhook's commit; a broker that is down leaves the
    webhook to the beat drain."""
    from ..tasks import webhooks_apply as task

    enqueue_now(task)


class _EnqueueCoalescer:
    """At most one `webhooks_apply` enqueued per `window` by one web process, not one per
    webhook: a task drains every row committed before it runs, so at 500 webhooks/s one task
    per few dozen webhooks does the same work, and the broker hand-off (a third of the CPU of
    an accepting request, docs/benchmarks-payments.md) is paid once for all of them.

    Nothing is missed: a webhook accepted inside the window finds a timer pending, or starts
    one, and the timer's enqueue happens after that webhook's commit (the caller commits
    before calling), so the task it sends sees the row. A process killed with a timer pending
    leaves its last webhooks to the beat drain."""

    def __init__(self, send: Callable[[], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._last = -1e9
        self._timer: threading.Timer | None = None

    @staticmethod
    def window() -> float:
        return float(getattr(settings, "QYZMET_PAYMENT_WEBHOOK_ENQUEUE_WINDOW_MS", 50)) / 1000

    def request(self) -> None:
        with self._lock:
            if self._timer is not None:
                return  # a pending enqueue runs after this webhook's commit
            wait = self._last + self.window() - time.monotonic()
            if wait > 0:
                self._timer = threading.Timer(wait, self._fire)
                self._timer.daemon = True
                self._timer.start()
                return
            self._last = time.monotonic()
        self._send()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            self._last = time.monotonic()
        self._send()


_ENQUEUES = _EnqueueCoalescer(_webhooks_apply_enqueue)


# A claim's lease on a database without row locks (SQLite): longer than a batch takes, short
# enough that a crashed worker's rows are applied soon by another.
WEBHOOK_LEASE = dt.timedelta(minutes=2)


WEBHOOK_BATCH = 200


# What `_status_apply`'s outcome leaves on the webhook row for the finance desk.
_WEBHOOK_NOTES = {
    STALE: "ignored: the attempt already had a final result",
    MISMATCH: "ignored: amount or currency differs from the attempt",
}


def webhook_max_tries() -> int:
    """Failed applies after which a webhook is FAILED and left for a person."""
    return int(getattr(settings, "QYZMET_PAYMENT_WEBHOOK_MAX_TRIES", 5))


def webhook_retry_delay(*, tries: int) -> dt.timedelta:
    """The wait after the `tries`-th failed apply: 10, 20, 40, ... seconds, at most 10 minutes
    (`QYZMET_PAYMENT_WEBHOOK_RETRY_SECONDS`)."""
    base = float(getattr(settings, "QYZMET_PAYMENT_WEBHOOK_RETRY_SECONDS", 10))
    return dt.timedelta(seconds=min(base * 2 ** max(tries - 1, 0), 600.0))


_APPLY_FIELDS = (
    "id", "provider", "event_id", "received_at", "provider_ref", "outcome", "amount",
    "currency", "decided_at", "failure_code", "tries",
)  # fmt: skip


def webhooks_apply(*, limit: int = WEBHOOK_BATCH, now: dt.datetime | None = None) -> dict[str, int]:
    """Apply up to `limit` received webhooks, each through `_status_apply` (out of order safe,
    duplicates and contrary answers ignored, a second success refunded, an amount mismatch
    flagged), in one transaction: the batch shares its commit.

    Claiming: on PostgreSQL the rows are locked with FOR UPDATE SKIP LOCKED, so any number of
    workers drain the inbox at once and never apply the same webhook twice; without row locks
    (SQLite) each row is claimed first by a conditional UPDATE that sets a lease. Webhooks are
    applied in the order of their payments' ids (then as received), so two batches lock
    payments in the same order and never deadlock; per payment, the payment row lock inside
    `_status_apply` keeps one answer at a time. A webhook whose apply raises is rolled back to
    its savepoint alone: it stays RECEIVED with the error, a try counted and a backoff, and is
    FAILED after `webhook_max_tries()`. Returns counts: processed, ignored, retry, failed."""
    now = now or timezone.now()
    counts = {"processed": 0, "ignored": 0, "retry": 0, "failed": 0}
    connection = transaction.get_connection()
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            hooks = list(
                webhooks_due(now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("received_at", "id")
                .only(*_APPLY_FIELDS)[:limit]
            )
            _webhooks_apply_batch(hooks, now=now, counts=counts)
        return counts
    due = list(webhooks_due(now).order_by("received_at", "id").values_list("pk", flat=True)[:limit])
    with transaction.atomic():
        claimed = [
            pk for pk in due if webhooks_due(now).filter(pk=pk).update(retry_at=now + WEBHOOK_LEASE)
        ]
    if claimed:
        with transaction.atomic():
            hooks = list(ProviderWebhook.objects.filter(pk__in=claimed).only(*_APPLY_FIELDS))
            _webhooks_apply_batch(hooks, now=now, counts=counts)
    return counts


def _webhooks_apply_batch(
    hooks: list[ProviderWebhook], *, now: dt.datetime, counts: dict[str, int]
) -> None:
    if not hooks:
        return
    refs = {(h.provider, h.provider_ref) for h in hooks if h.provider_ref}
    targets: dict[tuple[str, str], tuple[int, int]] = {}
    if refs:
        for provider, ref, attempt_id, payment_id in PaymentAttempt.objects.filter(
            provider__in={p for p, _r in refs}, provider_ref__in={r for _p, r in refs}
        ).values_list("provider", "provider_ref", "pk", "payment_id"):
            targets[(provider, ref)] = (attempt_id, payment_id)

    def order(hook: ProviderWebhook) -> tuple[int, dt.datetime, int]:
        target = targets.get((hook.provider, hook.provider_ref))
        return (target[1] if target else 0, hook.received_at, hook.pk)

    done: list[ProviderWebhook] = []
    retry: list[ProviderWebhook] = []
    for hook in sorted(hooks, key=order):
        target = targets.get((hook.provider, hook.provider_ref))
        hook.processed_at, hook.retry_at = now, None
        if target is None or not hook.outcome:
            log.warning(
                "webhook %s of %s names an unknown charge %r: ignored",
                hook.event_id,
                hook.provider,
                hook.provider_ref,
            )
            hook.state, hook.error = ProviderWebhook.IGNORED, "unknown payment"
            counts["ignored"] += 1
            done.append(hook)
            continue
        attempt_id, payment_id = target
        status = Status(
            provider_ref=hook.provider_ref,
            outcome=hook.outcome,
            amount=hook.amount if hook.amount is not None else 0,
            currency=hook.currency,
            at=hook.decided_at,
            failure_code=hook.failure_code,
        )
        hook.attempt_id = attempt_id
        try:
            # `_status_apply`'s own atomic block is this webhook's savepoint.
            outcome = _status_apply(
                attempt_id=attempt_id, payment_id=payment_id, status=status, via="webhook"
            )
        except Exception as exc:
            if transaction.get_connection().needs_rollback or not _usable():
                raise  # the batch's transaction is lost: its rows stay RECEIVED for the next
            hook.tries += 1
            hook.error = f"{type(exc).__name__}: {exc}"[:300]
            if hook.tries >= webhook_max_tries():
                log.exception("webhook %s failed %s times: FAILED", hook.pk, hook.tries)
                hook.state = ProviderWebhook.FAILED
                counts["failed"] += 1
            else:
                log.warning("applying webhook %s failed (%s); retried later", hook.pk, exc)
                hook.processed_at = None
                hook.retry_at = now + webhook_retry_delay(tries=hook.tries)
                counts["retry"] += 1
            retry.append(hook)
            continue
        hook.state, hook.error = ProviderWebhook.PROCESSED, _WEBHOOK_NOTES.get(outcome, "")
        counts["processed"] += 1
        done.append(hook)
    # One UPDATE per outcome (usually one: "processed"), not a CASE per row (`bulk_update`
    # costs more Python than the rest of the batch); the attempt is the one the row names.
    groups: dict[tuple[str, str], list[int]] = {}
    for hook in done:
        groups.setdefault((hook.state, hook.error), []).append(hook.pk)
    for (state, error), pks in groups.items():
        ProviderWebhook.objects.filter(pk__in=pks).update(
            state=state,
            error=error,
            processed_at=now,
            retry_at=None,
            attempt_id=_attempt_of_row() if state == ProviderWebhook.PROCESSED else None,
        )
    for hook in retry:  # rare: one UPDATE each
        ProviderWebhook.objects.filter(pk=hook.pk).update(
            state=hook.state,
            error=hook.error,
            processed_at=hook.processed_at,
            retry_at=hook.retry_at,
            attempt_id=hook.attempt_id,
            tries=hook.tries,
        )


def _attempt_of_row() -> Subquery:
    """The attempt a webhook row names (by the unique (provider, provider_ref) of attempts)."""
    return Subquery(
        PaymentAttempt.objects.filter(
            provider=OuterRef("provider"), provider_ref=OuterRef("provider_ref")
        )
        .exclude(provider_ref="")
        .values("pk")[:1]
    )


def _usable() -> bool:
    try:
        return transaction.get_connection().is_usable()
    except Exception:
        return False
