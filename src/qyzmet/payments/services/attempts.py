"""Attempts at paying: starting one at a provider (idempotent per key), polling the ones
whose webhook is late, expiring unpaid payments."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qyzmet.core.actor import Actor
from qyzmet.core.events import event_publish

from .. import errors, events
from ..models import Payment, PaymentAttempt, Refund
from ..providers import base
from ..providers.base import CreateRequest, ProviderRefused, ProviderUnavailable, Status
from ..selectors import payment_for_payer
from .common import _audit, _payment_locked
from .configuration import (
    POLL_LEASE,
    REFUND_RESEND_AFTER,
    _hosted,
    page_timeout,
    poll_delay,
    provider_for,
    webhook_url,
)
from .outcomes import STILL_PENDING, _status_apply
from .refunds import refund_send

log = logging.getLogger(__name__)


def _attempt_same(
    attempt: PaymentAttempt, *, actor: Actor | None, public_id: Any, return_url: str
) -> PaymentAttempt:
    """A retried start (same key): the attempt the first request made. If that request never
    got the provider's answer (a crash, a timeout, still under way), the provider is asked again
    with the same key; being idempotent on it, it hands back the same charge."""
    payment = attempt.payment
    if str(payment.public_id) != str(public_id) or (
        actor is not None and getattr(actor, "pk", None) != payment.payer_id
    ):
        raise errors.idempotency_conflict()
    if attempt.state == PaymentAttempt.PENDING and not attempt.provider_ref:
        return _attempt_create_at_provider(attempt, return_url=return_url)
    return attempt


def attempt_start(
    *,
    actor: Actor | None,
    payment_public_id: uuid.UUID | str,
    provider: str,
    idempotency_key: str,
    return_url: str,
) -> PaymentAttempt:
    """Start one attempt at paying through `provider`; its `next_url` is the hosted page (empty
    for pay by reference). The same `idempotency_key` again returns the same attempt, also when
    two requests race (the unique key decides). Refused (409) when the payment is paid,
    expired or cancelled, or while a hosted attempt younger than `page_timeout()` is still
    pending (the payer may be on that page now; asked afresh before refusing). The row commits
    before the provider is called, so no transaction waits on the network; an unreachable
    provider leaves the attempt FAILED (nothing charged) and the citizen may try again. Call it
    outside a transaction."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 80:
        raise errors.invalid("/idempotency_key", "must be 1 to 80 characters")
    existing = PaymentAttempt.objects.select_related("payment").filter(idempotency_key=key).first()
    if existing is not None:
        return _attempt_same(
            existing, actor=actor, public_id=payment_public_id, return_url=return_url
        )
    payment = payment_for_payer(actor=actor, public_id=payment_public_id)
    impl = provider_for(provider)
    now = timezone.now()
    if payment.state != Payment.AWAITING:
        raise errors.not_payable(payment.state)
    if payment.expires_at <= now:
        raise errors.not_payable(Payment.EXPIRED)
    young = PaymentAttempt.objects.filter(
        payment=payment, state=PaymentAttempt.PENDING, created_at__gt=now - page_timeout()
    ).order_by("-created_at")
    for pending in young:
        if not _hosted(pending.provider) or pending.idempotency_key == key:
            # The same key committed by a request racing this one: the unique key decides
            # below (this request returns that attempt), not "an attempt in progress".
            continue
        pending = attempt_refresh(attempt_id=pending.pk)
        if pending.state == PaymentAttempt.PENDING:
            raise errors.attempt_in_progress(pending.next_url)
    payment.refresh_from_db(fields=["state"])
    if payment.state != Payment.AWAITING:  # the refresh found it paid
        raise errors.not_payable(payment.state)
    try:
        with transaction.atomic():
            attempt = PaymentAttempt.objects.create(
                payment=payment,
                provider=impl.code,
                idempotency_key=key,
                amount=payment.amount,
                currency=payment.currency,
                # Only a provider with a hosted page can answer a poll; an invoice to pay at a
                # bank answers "pending" until the bank statement settles it: never polled.
                poll_at=now + poll_delay(polls=0) if impl.hosted else None,
            )
            _audit(
                payment,
                actor=actor,
                action="payment.attempt_start",
                attempt=attempt.pk,
                provider=impl.code,
            )
    except IntegrityError:  # the same key raced in: the other request's attempt is the answer
        existing = (
            PaymentAttempt.objects.select_related("payment").filter(idempotency_key=key).first()
        )
        if existing is None:
            raise
        return _attempt_same(
            existing, actor=actor, public_id=payment_public_id, return_url=return_url
        )
    return _attempt_create_at_provider(attempt, return_url=return_url)


def _attempt_create_at_provider(attempt: PaymentAttempt, *, return_url: str) -> PaymentAttempt:
    payment = attempt.payment
    request = CreateRequest(
        idempotency_key=attempt.idempotency_key,
        reference=payment.reference,
        amount=attempt.amount,
        currency=attempt.currency,
        description=(
            payment.description.get(payment.language)
            or payment.description.get("en")
            or payment.service_code
        ),
        language=payment.language,
        return_url=return_url or str(getattr(settings, "QYZMET_PUBLIC_BASE_URL", "")),
        webhook_url=webhook_url(attempt.provider),
    )
    now = timezone.now()
    try:
        created = provider_for(attempt.provider).create(request)
    except (ProviderUnavailable, ProviderRefused) as exc:
        code = (
            "provider_unavailable" if isinstance(exc, ProviderUnavailable) else "provider_refused"
        )
        log.warning("attempt %s: %s (%s)", attempt.pk, code, exc)
        PaymentAttempt.objects.filter(
            pk=attempt.pk, state=PaymentAttempt.PENDING, provider_ref=""
        ).update(state=PaymentAttempt.FAILED, failure_code=code, finished_at=now, updated_at=now)
    else:
        try:
            PaymentAttempt.objects.filter(pk=attempt.pk, provider_ref="").update(
                provider_ref=created.provider_ref[:100],
                next_url=created.next_url[:500],
                updated_at=now,
            )
        except IntegrityError:  # the provider named a charge another attempt already has
            log.error(
                "attempt %s: provider %s reused ref %s",
                attempt.pk,
                attempt.provider,
                created.provider_ref,
            )
            PaymentAttempt.objects.filter(pk=attempt.pk, state=PaymentAttempt.PENDING).update(
                state=PaymentAttempt.FAILED,
                failure_code="provider_ref_reused",
                finished_at=now,
            )
    attempt.refresh_from_db()
    return attempt


def _poll_later(attempt: PaymentAttempt, *, now: dt.datetime) -> None:
    poll_at = now + poll_delay(polls=attempt.polls + 1) if _hosted(attempt.provider) else None
    PaymentAttempt.objects.filter(pk=attempt.pk, state=PaymentAttempt.PENDING).update(
        polls=F("polls") + 1, poll_at=poll_at
    )


def _attempt_poll(*, attempt_id: int, now: dt.datetime | None = None) -> str:
    """Ask the provider once about a pending attempt and apply the answer. Returns what
    `_status_apply` did, or "pending" / "unavailable" / "skipped"."""
    now = now or timezone.now()
    attempt = PaymentAttempt.objects.select_related("payment").filter(pk=attempt_id).first()
    if attempt is None or attempt.state != PaymentAttempt.PENDING:
        return "skipped"
    if not attempt.provider_ref:
        # The provider was never heard back from at creation (a crash, a timeout): ask again
        # with the same key, which finds the charge if it was made.
        attempt = _attempt_create_at_provider(attempt, return_url="")
        if attempt.state != PaymentAttempt.PENDING:
            return "unavailable"
    try:
        status = provider_for(attempt.provider).status(attempt.provider_ref)
    except ProviderUnavailable:
        _poll_later(attempt, now=now)
        return "unavailable"
    except ProviderRefused:
        if attempt.created_at > now - page_timeout():
            _poll_later(attempt, now=now)
            return STILL_PENDING
        # The provider does not know the charge and its page is long over: nothing was taken.
        status = Status(
            provider_ref=attempt.provider_ref,
            outcome=base.EXPIRED,
            amount=attempt.amount,
            currency=attempt.currency,
            failure_code="unknown_at_provider",
        )
    outcome = _status_apply(attempt_id=attempt.pk, status=status, via="poll")
    if outcome == STILL_PENDING:
        _poll_later(attempt, now=now)
    return outcome


def attempt_refresh(*, attempt_id: int) -> PaymentAttempt:
    """Poll the provider once about one attempt (the return page, a citizen's "check again")."""
    _attempt_poll(attempt_id=attempt_id)
    return PaymentAttempt.objects.select_related("payment").get(pk=attempt_id)


def attempts_poll_due(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The minute sweep: every pending attempt whose poll is due is asked about (this recovers a
    lost webhook and a crash between the provider's success and our commit), with backoff;
    refunds left unsent by an unreachable provider are sent again (same key). Safe to run
    twice at once: a conditional UPDATE claims each attempt."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    provider_of = dict(
        PaymentAttempt.objects.filter(state=PaymentAttempt.PENDING, poll_at__lte=now)
        .order_by("poll_at", "id")
        .values_list("pk", "provider")[:limit]
    )
    for pk in provider_of:
        claimed = PaymentAttempt.objects.filter(
            pk=pk, state=PaymentAttempt.PENDING, poll_at__lte=now
        ).update(poll_at=now + POLL_LEASE)
        if not claimed:
            outcome = "skipped"
        elif not _hosted(provider_of[pk]):
            # An attempt with no page to ask about (pay by reference, from before polls were
            # limited to hosted providers): the bank statement settles it, nobody polls it.
            PaymentAttempt.objects.filter(pk=pk).update(poll_at=None)
            outcome = "not_polled"
        else:
            try:
                outcome = _attempt_poll(attempt_id=pk, now=now)
            except Exception:
                log.exception("polling attempt %s failed", pk)
                outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    resend = Refund.objects.filter(
        state=Refund.PENDING, provider_ref="", updated_at__lte=now - REFUND_RESEND_AFTER
    ).values_list("pk", flat=True)[:limit]
    for pk in list(resend):
        try:
            refund_send(refund_id=pk)
        except Exception:
            log.exception("resending refund %s failed", pk)
        counts["refunds_resent"] = counts.get("refunds_resent", 0) + 1
    return counts


def payments_expire_due(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The sweep of unpaid payments past `expires_at`: each pending attempt is asked one last
    time (a fee paid at the last second is not expired), a hosted attempt still on its page is
    given until the page times out, then the payment is EXPIRED and `payment.expired`
    published. Money arriving later is refunded automatically."""
    now = now or timezone.now()
    counts = {"expired": 0, "paid": 0, "waiting": 0}
    due = list(
        Payment.objects.filter(state=Payment.AWAITING, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        for attempt_id in PaymentAttempt.objects.filter(
            payment_id=pk, state=PaymentAttempt.PENDING
        ).values_list("pk", flat=True):
            try:
                _attempt_poll(attempt_id=attempt_id, now=now)
            except Exception:
                log.exception("last poll of attempt %s failed", attempt_id)
        with transaction.atomic():
            payment = _payment_locked(pk)
            if payment.state != Payment.AWAITING:
                counts["paid"] += 1
                continue
            pending = PaymentAttempt.objects.filter(payment=payment, state=PaymentAttempt.PENDING)
            if any(a.created_at > now - page_timeout() and _hosted(a.provider) for a in pending):
                counts["waiting"] += 1
                continue
            pending.update(
                state=PaymentAttempt.EXPIRED,
                failure_code="payment_expired",
                finished_at=now,
                updated_at=now,
            )
            payment.state = Payment.EXPIRED
            payment.save(update_fields=["state", "updated_at"])
            _audit(payment, actor=None, action="payment.expire")
            event_publish(topic=events.PAYMENT_EXPIRED, payload=events.payment_payload(payment))
            counts["expired"] += 1
    return counts
