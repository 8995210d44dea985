"""Refunds: requested (four eyes above a threshold), approved or rejected, sent after commit
with their own idempotency key, and their results recorded."""

from __future__ import annotations

import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qyzmet.core.actor import Actor
from qyzmet.core.events import event_publish
from qyzmet.core.problem import forbidden, not_found
from qyzmet.core.tasks import enqueue_on_commit

from .. import errors, events, permissions
from ..models import Payment, Refund
from ..providers import base
from ..providers.base import ProviderRefused, ProviderUnavailable, RefundRequest
from ..selectors import payment_row_get, refund_attempt_of, refundable_amount, uuid_or_none
from .common import _audit, _payment_locked
from .configuration import four_eyes_threshold, provider_for

log = logging.getLogger(__name__)


def _refund_send_after_commit(refund_id: int) -> None:
    """A failed send (or enqueue) is logged: the refund is committed, and the poll sweep sends
    it again with the same idempotency key."""
    from ..tasks import refund_send as task  # the tasks module imports this one

    enqueue_on_commit(task, refund_id)


def refund_send(*, refund_id: int) -> str:
    """Ask the provider to return a PENDING refund's money, with the refund's own idempotency
    key (sent again after a timeout, it never pays out twice). Outside any transaction: the
    outcome is recorded by `refund_record_result`. Returns the refund's state afterwards."""
    refund = Refund.objects.select_related("attempt", "payment").get(pk=refund_id)
    if refund.state != Refund.PENDING or refund.provider_ref:
        return refund.state
    attempt = refund_attempt_of(refund)
    if attempt is None:
        return refund_record_result(
            refund_id=refund_id, succeeded=False, note="no paid attempt to refund"
        ).state
    try:
        result = provider_for(attempt.provider).refund(
            RefundRequest(
                idempotency_key=refund.idempotency_key,
                provider_ref=attempt.provider_ref,
                amount=refund.amount,
                currency=refund.payment.currency,
                reason=refund.reason[:200],
            )
        )
    except ProviderUnavailable:
        log.warning("refund %s: provider %s unavailable; will retry", refund.pk, attempt.provider)
        Refund.objects.filter(pk=refund.pk).update(updated_at=timezone.now())
        return Refund.PENDING
    except (ProviderRefused, NotImplementedError) as exc:
        note = str(exc) or "the provider cannot refund this payment"
        return refund_record_result(refund_id=refund_id, succeeded=False, note=note).state
    if result.outcome == base.SUCCEEDED:
        return refund_record_result(
            refund_id=refund_id, succeeded=True, external_ref=result.refund_ref
        ).state
    if result.outcome == base.DECLINED:
        return refund_record_result(
            refund_id=refund_id,
            succeeded=False,
            external_ref=result.refund_ref,
            note="declined by the provider",
        ).state
    # Accepted, paid out later (e.g. by the bank): the outcome comes by `refund_record_result`.
    Refund.objects.filter(pk=refund.pk, provider_ref="").update(
        provider_ref=(result.refund_ref or "pending")[:100], updated_at=timezone.now()
    )
    return Refund.PENDING


def refund_record_result(
    *, refund_id: int, succeeded: bool, external_ref: str = "", note: str = ""
) -> Refund:
    """Record what became of a PENDING refund (the provider's answer, or a bank's debit line).
    A success of a fee refund adds to the payment's `amount_refunded` (the database refuses
    more than was paid), sets REFUNDED / PARTIALLY_REFUNDED and publishes `payment.refunded`.
    Only the first result counts."""
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    now = timezone.now()
    with transaction.atomic():
        payment = _payment_locked(payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.state != Refund.PENDING:
            return refund
        refund.state = Refund.SUCCEEDED if succeeded else Refund.FAILED
        refund.finished_at = now
        if external_ref:
            refund.provider_ref = external_ref[:100]
        if note:
            refund.decision_note = (refund.decision_note + "\n" + note).strip()
        refund.save(
            update_fields=["state", "finished_at", "provider_ref", "decision_note", "updated_at"]
        )
        _audit(
            payment,
            actor=None,
            action="payment.refund_result",
            refund=str(refund.public_id),
            kind_of_refund=refund.kind,
            amount=refund.amount,
            succeeded=succeeded,
            note=note[:200],
        )
        if not succeeded or refund.kind != Refund.FEE:
            if not succeeded:
                log.error("refund %s of payment %s failed: %s", refund.pk, payment.reference, note)
            return refund
        Payment.objects.filter(pk=payment.pk).update(
            amount_refunded=F("amount_refunded") + refund.amount, updated_at=now
        )
        payment.refresh_from_db(fields=["amount_refunded", "amount_paid"])
        payment.state = (
            Payment.REFUNDED
            if payment.amount_refunded >= payment.amount_paid
            else Payment.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["state", "updated_at"])
        event_publish(
            topic=events.PAYMENT_REFUNDED,
            payload=events.payment_payload(
                payment,
                refund_id=str(refund.public_id),
                refund_amount=refund.amount,
                amount_refunded=payment.amount_refunded,
            ),
        )
    return refund


def _refund_actor_check(*, actor: Actor | None, payment: Payment, permission: str) -> None:
    """Object-level: the permission counts only in the payment's agency. Someone with no role
    there is told the payment does not exist; a colleague without the permission, 403."""
    if actor is None:
        return
    if not permissions.user_may(
        user=actor, permission=permissions.VIEW, agency_code=payment.agency_code
    ):
        raise not_found("payment")
    if not permissions.user_may(user=actor, permission=permission, agency_code=payment.agency_code):
        raise forbidden("Your role may not refund or approve refunds of this agency's payments.")


def refund_request(
    *,
    actor: Actor | None,
    payment_public_id: uuid.UUID | str,
    amount: int,
    reason: str,
    idempotency_key: str,
) -> Refund:
    """Give back `amount` (all or part) of a paid fee. `actor` None is the platform's own rule
    (e.g. a refused application), otherwise an officer holding `payments.refund` in the
    payment's agency. Never more than paid minus refunded minus refunds under way. Above
    `four_eyes_threshold()` the refund waits for another officer (`refund_approve`); otherwise
    it is sent after commit. The same `idempotency_key` again returns the same refund."""
    key = (idempotency_key or "").strip()[:80]
    if not key:
        raise errors.invalid("/idempotency_key", "is required")
    existing = Refund.objects.filter(idempotency_key=key).select_related("payment").first()
    if existing is not None:
        if str(existing.payment.public_id) != str(payment_public_id) or existing.amount != amount:
            raise errors.idempotency_conflict()
        return existing
    payment = payment_row_get(payment_public_id)
    _refund_actor_check(actor=actor, payment=payment, permission=permissions.REFUND)
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise errors.invalid("/amount", "must be a positive whole number of minor units")
    if not (reason or "").strip():
        raise errors.invalid("/reason", "A reason is required.")
    try:
        with transaction.atomic():
            payment = _payment_locked(payment.pk)
            if payment.state not in (Payment.PAID, Payment.PARTIALLY_REFUNDED):
                raise errors.refund_not_allowed(payment.state)
            refundable = refundable_amount(payment)
            if amount > refundable:
                raise errors.refund_too_much(refundable=refundable)
            needs_approval = amount > four_eyes_threshold()
            refund = Refund.objects.create(
                payment=payment,
                kind=Refund.FEE,
                amount=amount,
                reason=reason.strip(),
                state=Refund.AWAITING_APPROVAL if needs_approval else Refund.PENDING,
                idempotency_key=key,
                requested_by_id=getattr(actor, "pk", None),
            )
            _audit(
                payment,
                actor=actor,
                action="payment.refund_request",
                refund=str(refund.public_id),
                amount=amount,
                reason=refund.reason[:300],
                state=refund.state,
            )
            if not needs_approval:
                _refund_send_after_commit(refund.pk)
    except IntegrityError:  # the same key raced in
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    refund.refresh_from_db()  # sent at commit when this was the outermost transaction
    return refund


def _refund_for_decision(*, actor: Actor, refund_public_id: uuid.UUID | str) -> Refund:
    key = uuid_or_none(refund_public_id)
    refund = Refund.objects.filter(public_id=key).first() if key is not None else None
    if refund is None:
        raise not_found("refund")
    if actor is None:
        raise forbidden("A refund above the threshold is approved by an officer.")
    _refund_actor_check(actor=actor, payment=refund.payment, permission=permissions.APPROVE_REFUND)
    return refund


def refund_approve(*, actor: Actor, refund_public_id: uuid.UUID | str) -> Refund:
    """The second pair of eyes: an officer holding `payments.approve_refund` in the payment's
    agency, never the one who asked (403 `refund_four_eyes`), sends the refund."""
    refund = _refund_for_decision(actor=actor, refund_public_id=refund_public_id)
    with transaction.atomic():
        payment = _payment_locked(refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.AWAITING_APPROVAL:
            raise errors.refund_state(refund.state)
        if refund.requested_by_id is not None and refund.requested_by_id == actor.pk:
            raise errors.four_eyes()
        refund.state = Refund.PENDING
        refund.approved_by_id = actor.pk
        refund.save(update_fields=["state", "approved_by_id", "updated_at"])
        _audit(
            payment,
            actor=actor,
            action="payment.refund_approve",
            refund=str(refund.public_id),
            amount=refund.amount,
        )
        _refund_send_after_commit(refund.pk)
    refund.refresh_from_db()
    return refund


def refund_reject(*, actor: Actor, refund_public_id: uuid.UUID | str, note: str) -> Refund:
    """The approver says no (with a reason the requester and the citizen can read)."""
    refund = _refund_for_decision(actor=actor, refund_public_id=refund_public_id)
    if not (note or "").strip():
        raise errors.invalid("/note", "A reason is required.")
    with transaction.atomic():
        payment = _payment_locked(refund.payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != Refund.AWAITING_APPROVAL:
            raise errors.refund_state(refund.state)
        refund.state = Refund.REJECTED
        refund.approved_by_id = actor.pk
        refund.decision_note = note.strip()
        refund.finished_at = timezone.now()
        refund.save(
            update_fields=["state", "approved_by_id", "decision_note", "finished_at", "updated_at"]
        )
        _audit(
            payment,
            actor=actor,
            action="payment.refund_reject",
            refund=str(refund.public_id),
            amount=refund.amount,
            note=refund.decision_note,
        )
    return refund
