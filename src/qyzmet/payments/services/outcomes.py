"""Applying what a provider says about an attempt (webhook, poll, settlement, statement):
out-of-order safe, a final state never returns to pending, double money is refunded."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import Kind
from qyzmet.core.events import event_publish
from qyzmet.core.problem import not_found

from .. import errors, events
from ..models import Payment, PaymentAttempt, Refund
from ..providers import base
from ..providers.base import Status
from .common import _audit, _iso, _payment_locked
from .configuration import _attempt_finish, _hosted
from .refunds import _refund_send_after_commit

log = logging.getLogger(__name__)


# What `_status_apply` did, for webhooks, polls and their counters.
PAID = "paid"


DOUBLE = "double"  # money taken on a payment already paid or no longer payable: refunded


DECLINED = "declined"


EXPIRED = "expired"


STILL_PENDING = "pending"


DUPLICATE = "duplicate"  # this attempt already has this outcome


STALE = "stale"  # a contrary answer after a final one (e.g. declined after succeeded): ignored


MISMATCH = "mismatch"  # the provider reports another amount or currency: not counted, flagged


def _status_apply(
    *, attempt_id: int, status: Status, via: str, payment_id: int | None = None
) -> str:
    """Apply one provider answer about one attempt, in one transaction (the payment row locked
    first, then the attempt, everywhere, so two answers never deadlock). Out of order safe: a
    success always wins over pending/declined/expired/failed (the money moved), and nothing
    after a success changes it. A success on a payment that another attempt (or a bank
    transfer) already paid, or that expired, is a double payment: refunded automatically."""
    now = timezone.now()
    if payment_id is None:  # a caller that looked the attempt up already passes it
        payment_id = PaymentAttempt.objects.values_list("payment_id", flat=True).get(pk=attempt_id)
    with transaction.atomic():
        payment = _payment_locked(payment_id)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id)
        if status.outcome == base.PENDING:
            return STILL_PENDING
        if status.outcome == base.SUCCEEDED:
            return _success_apply(payment, attempt, status=status, via=via, now=now)
        if attempt.state in (PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED):
            log.warning(
                "payment %s: attempt %s is %s; a later '%s' (%s) is ignored",
                payment.reference,
                attempt.pk,
                attempt.state,
                status.outcome,
                via,
            )
            return STALE
        if attempt.state == status.outcome:
            return DUPLICATE
        if attempt.state not in (PaymentAttempt.PENDING, PaymentAttempt.FAILED):
            return STALE  # declined stays declined, expired stays expired
        _attempt_finish(
            attempt, state=status.outcome, failure_code=status.failure_code or status.outcome,
            at=status.at or now,
        )  # fmt: skip
        if status.outcome == base.DECLINED:
            _audit(
                payment,
                actor=None,
                action="payment.declined",
                attempt=attempt.pk,
                provider=attempt.provider,
                failure_code=attempt.failure_code,
                via=via,
            )
            event_publish(
                topic=events.PAYMENT_DECLINED,
                payload=events.payment_payload(
                    payment, failure_code=attempt.failure_code, provider=attempt.provider
                ),
            )
            return DECLINED
        return EXPIRED


def _success_apply(
    payment: Payment, attempt: PaymentAttempt, *, status: Status, via: str, now: dt.datetime
) -> str:
    if attempt.state in (PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED):
        return DUPLICATE
    if status.amount != attempt.amount or status.currency != attempt.currency:
        log.error(
            "payment %s: attempt %s succeeded for %s %s, not %s %s (%s)",
            payment.reference,
            attempt.pk,
            status.amount,
            status.currency,
            attempt.amount,
            attempt.currency,
            via,
        )
        _audit(
            payment,
            actor=None,
            action="payment.amount_mismatch",
            kind=Kind.SECURITY,
            attempt=attempt.pk,
            provider=attempt.provider,
            reported=status.amount,
            reported_currency=status.currency,
            via=via,
        )
        return MISMATCH
    at = status.at or now
    already_paid = (
        PaymentAttempt.objects.filter(payment=payment, state=PaymentAttempt.SUCCEEDED)
        .exclude(pk=attempt.pk)
        .exists()
    )
    if payment.state == Payment.AWAITING and not already_paid:
        _attempt_finish(attempt, state=PaymentAttempt.SUCCEEDED, failure_code="", at=at)
        payment.state = Payment.PAID
        payment.amount_paid = status.amount
        payment.paid_at = at
        payment.paid_via = attempt.provider
        payment.save(update_fields=["state", "amount_paid", "paid_at", "paid_via", "updated_at"])
        # An invoice to pay at a bank is over once the fee is paid another way (one UPDATE).
        unhosted = [code for code in base.provider_codes() if not _hosted(code)]
        PaymentAttempt.objects.filter(
            payment=payment, state=PaymentAttempt.PENDING, provider__in=unhosted
        ).update(
            state=PaymentAttempt.EXPIRED, failure_code="paid_otherwise", finished_at=now,
            updated_at=now,
        )  # fmt: skip
        _audit(
            payment,
            actor=None,
            action="payment.paid",
            attempt=attempt.pk,
            provider=attempt.provider,
            amount=status.amount,
            via=via,
        )
        event_publish(
            topic=events.PAYMENT_SUCCEEDED,
            payload=events.payment_payload(payment, paid_at=_iso(at), provider=attempt.provider),
        )
        return PAID
    # Paid twice (or after the payment expired / was cancelled): the money goes back in full.
    why = "double_payment" if payment.amount_paid or already_paid else "payment_not_payable"
    _attempt_finish(attempt, state=PaymentAttempt.REFUNDED, failure_code=why, at=at)
    refund = Refund.objects.create(
        payment=payment,
        kind=Refund.DOUBLE,
        attempt=attempt,
        amount=status.amount,
        reason=(
            "Paid twice: returned automatically"
            if why == "double_payment"
            else "Paid after the payment was no longer due: returned automatically"
        ),
        state=Refund.PENDING,
        idempotency_key=f"auto:{attempt.pk}",
    )
    _audit(
        payment,
        actor=None,
        action="payment.double_refund",
        attempt=attempt.pk,
        provider=attempt.provider,
        amount=status.amount,
        refund=str(refund.public_id),
        why=why,
        payment_state=payment.state,
        via=via,
    )
    _refund_send_after_commit(refund.pk)
    return DOUBLE


def payment_record_success(
    *,
    payment_id: int,
    provider: str,
    amount: int,
    currency: str,
    at: dt.datetime,
    external_ref: str,
) -> Payment:
    """Money arrived by a route other than an attempt's webhook (a bank statement line, a
    settlement report): the payment is PAID exactly once. The same `external_ref` again changes
    nothing; a second, different arrival for a paid payment is a double payment, refunded
    automatically (the payment is returned unchanged). An amount or currency other than the
    one due is refused (422) — the caller leaves that line for a person."""
    key = f"{provider}:{external_ref}"[:80]
    if not Payment.objects.filter(pk=payment_id).exists():
        raise not_found("payment")
    with transaction.atomic():
        payment = _payment_locked(payment_id)  # one arrival at a time per payment
        if PaymentAttempt.objects.filter(idempotency_key=key).exists():
            return payment
        if currency != payment.currency:
            raise errors.currency_mismatch(due=payment.currency, got=currency)
        if amount != payment.amount:
            raise errors.amount_mismatch(due=payment.amount, got=amount, currency=currency)
        # The arrival is an attempt of its own (its key is the line's), so a refund always has
        # an attempt to name and the same line recorded again is recognised.
        attempt = PaymentAttempt.objects.create(
            payment=payment,
            provider=provider,
            idempotency_key=key,
            provider_ref=external_ref[:100],
            amount=amount,
            currency=currency,
        )
        status = Status(
            provider_ref=attempt.provider_ref,
            outcome=base.SUCCEEDED,
            amount=amount,
            currency=currency,
            at=at,
        )
        _status_apply(attempt_id=attempt.pk, status=status, via=f"{provider}:record")
    return Payment.objects.get(pk=payment_id)
