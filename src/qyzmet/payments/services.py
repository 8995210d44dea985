"""Commands that change payments: a fee required, attempts at paying it, the providers' answers
(webhooks, polls, settlement reports, bank statements), refunds and the daily reconciliation.

The rules that keep money safe (docs/payments.md):

- **Nothing charged twice.** Every call that moves money carries an idempotency key of ours
  (one per attempt, one per refund), unique in our tables and sent to the provider, so a double
  click or a retried request finds the same attempt. Money that arrives for a payment already
  paid (or no longer payable) is never counted: it is returned by an automatic refund.
- **No transaction held over HTTP.** An attempt's row commits before the provider is asked to
  create it; a refund is sent after its row commits.
- **Nothing lost.** A webhook is stored before it is acted upon; a lost one is made good by
  polling (`attempts_poll_due`) and at the latest by the daily reconciliation (`reconcile_day`).
  A final state never returns to pending; a late contrary answer is logged and ignored.
- Every change writes its audit row in its own transaction; events go through the outbox.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.events import event_publish
from qyzmet.core.problem import forbidden, not_found

from . import errors, events, permissions
from .models import (
    Payment,
    PaymentAttempt,
    Refund,
)
from .providers import base
from .providers.base import (
    PaymentProvider,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    Status,
)

log = logging.getLogger(__name__)

LANGUAGES = ("kk", "ru", "en")
# How long a poll holds its claim on an attempt: longer than one provider call may take, so two
# sweeps never ask about the same attempt at once, short enough to retry a crashed worker's.
POLL_LEASE = dt.timedelta(minutes=2)
# A refund sent and not answered (provider down) is sent again, with the same key, after this.
REFUND_RESEND_AFTER = dt.timedelta(minutes=1)


# --- configuration --------------------------------------------------------------------------


def _seconds(name: str, default: float) -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, name, default)))


def expiry_delay() -> dt.timedelta:
    """How long a citizen has to pay (`QYZMET_PAYMENT_EXPIRY_HOURS`, 72)."""
    return dt.timedelta(hours=float(getattr(settings, "QYZMET_PAYMENT_EXPIRY_HOURS", 72)))


def page_timeout() -> dt.timedelta:
    """How long a provider's hosted page may take before its attempt is over
    (`QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS`, 15 minutes): while an attempt is younger, no second
    one is started and the payment is not expired under the payer's hands."""
    return _seconds("QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS", 900)


def poll_delay(*, polls: int) -> dt.timedelta:
    """The wait before asking the provider about a pending attempt after `polls` polls:
    `QYZMET_PAYMENT_POLL_AFTER_SECONDS` (60) doubling up to `QYZMET_PAYMENT_POLL_MAX_SECONDS`
    (an hour). The first poll comes when a webhook should long have arrived."""
    base_s = float(getattr(settings, "QYZMET_PAYMENT_POLL_AFTER_SECONDS", 60))
    cap = float(getattr(settings, "QYZMET_PAYMENT_POLL_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base_s * 2 ** min(polls, 32), cap))


def four_eyes_threshold() -> int:
    """Refunds above this many tiyn need a second officer (`QYZMET_REFUND_FOUR_EYES_TIYN`)."""
    return int(getattr(settings, "QYZMET_REFUND_FOUR_EYES_TIYN", 5_000_000))


def providers_configured() -> dict[str, dict]:
    return dict(getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}))


def provider_for(code: str) -> PaymentProvider:
    """The configured provider `code`. Its plug-in module is imported on first use (the option
    `module`, else `qyzmet.payments.providers.<code>`), so a deployment lists providers in
    settings only. A code not configured is unknown (404), whatever plug-ins exist."""
    options = providers_configured().get(code)
    if options is None:
        raise errors.provider_unknown(code)
    try:
        return base.provider_get(code)
    except KeyError:
        pass
    module = str(options.get("module") or f"qyzmet.payments.providers.{code}")
    try:
        importlib.import_module(module)
        return base.provider_get(code)
    except (ImportError, KeyError) as exc:
        raise errors.provider_unknown(code) from exc


def webhook_url(code: str) -> str:
    options = providers_configured().get(code, {})
    if options.get("webhook_url"):
        return str(options["webhook_url"])
    root = str(getattr(settings, "QYZMET_PUBLIC_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{root}/api/v1/payments/webhooks/{code}"


def _hosted(code: str) -> bool:
    try:
        return bool(provider_for(code).hosted)
    except Exception:  # a provider no longer configured: treat its attempts as hosted (safe)
        return True


# --- references -----------------------------------------------------------------------------
# An invoice number is ten digits and two check digits of ISO 7064 MOD 97-10 (the IBAN's
# scheme): the number read as an integer leaves remainder 1 when divided by 97. It catches every
# single mistyped digit and every swap of two neighbouring digits, so a bank teller's typo never
# pays somebody else's fee.

REFERENCE_LENGTH = 12


def reference_check_digits(body: str) -> str:
    """The two MOD 97-10 check digits that follow the digits `body`."""
    return f"{98 - int(body + '00') % 97:02d}"


def reference_make() -> str:
    """A fresh random invoice number (unguessable: nobody can pay into, or look up, the next)."""
    body = str(10**9 + secrets.randbelow(9 * 10**9))
    return body + reference_check_digits(body)


def reference_normalise(text: str) -> str:
    """The digits of an invoice number as a person or a bank wrote it (spaces, dashes dropped)."""
    return "".join(ch for ch in str(text) if ch not in " -\u00a0\t")


def reference_valid(text: str) -> bool:
    digits = reference_normalise(text)
    return (
        len(digits) == REFERENCE_LENGTH
        and digits.isascii()
        and digits.isdigit()
        and int(digits) % 97 == 1
    )


# --- helpers --------------------------------------------------------------------------------


def _audit(
    payment: Payment, *, actor: Any | None, action: str, kind: str = Kind.CHANGE, **data: Any
) -> None:
    audit_record(
        actor=actor,
        kind=kind,
        action=action,
        object_type="payment",
        object_id=payment.pk,
        subject_iin=payment.payer_iin,
        data={"reference": payment.reference, "source_ref": payment.source_ref, **data},
    )


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _payment_locked(payment_id: int) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _payment_by_public_id(public_id: uuid.UUID | str) -> Payment:
    key = _as_uuid(public_id)
    payment = Payment.objects.filter(public_id=key).first() if key is not None else None
    if payment is None:
        raise not_found("payment")
    return payment


# --- a fee due ------------------------------------------------------------------------------


def _require_check(
    *, amount: Any, currency: str, language: str, description: Any, payer_iin: str
) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise errors.invalid("/amount", "must be a positive whole number of minor units")
    if not (len(currency) == 3 and currency.isascii() and currency.isupper()):
        raise errors.invalid("/currency", "must be an ISO 4217 code")
    if language not in LANGUAGES:
        raise errors.invalid("/language", f"must be one of {', '.join(LANGUAGES)}")
    if not isinstance(description, dict):
        raise errors.invalid("/description", "must be an object of texts per language")
    if not (len(payer_iin) == 12 and payer_iin.isdigit()):
        raise errors.invalid("/payer_iin", "must be 12 digits")


def payment_require(
    *,
    source_ref: str,
    payer_id: int,
    payer_iin: str,
    agency_code: str,
    service_code: str,
    description: dict[str, str],
    language: str,
    amount: int,
    currency: str = "KZT",
    amount_before_exemption: int | None = None,
    exemption: dict | None = None,
) -> Payment:
    """Say that `payer` owes `amount` for `source_ref` ("application:42"). Idempotent on
    `source_ref`: a second call returns the first payment unchanged (a retried submission never
    makes a second invoice). Expires after `expiry_delay()`."""
    existing = Payment.objects.filter(source_ref=source_ref).first()
    if existing is not None:
        return existing
    _require_check(
        amount=amount,
        currency=currency,
        language=language,
        description=description,
        payer_iin=payer_iin,
    )
    for _ in range(8):  # a reference drawn twice is astronomically rare; draw again
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    reference=reference_make(),
                    source_ref=source_ref,
                    payer_id=payer_id,
                    payer_iin=payer_iin,
                    agency_code=agency_code,
                    service_code=service_code,
                    description=dict(description),
                    language=language,
                    amount=amount,
                    currency=currency,
                    amount_before_exemption=amount_before_exemption,
                    exemption=dict(exemption or {}),
                    expires_at=timezone.now() + expiry_delay(),
                )
                _audit(
                    payment,
                    actor=None,
                    action="payment.require",
                    amount=amount,
                    currency=currency,
                    exemption=(exemption or {}).get("code", ""),
                )
                event_publish(
                    topic=events.PAYMENT_REQUIRED, payload=events.payment_payload(payment)
                )
            return payment
        except IntegrityError:
            existing = Payment.objects.filter(source_ref=source_ref).first()
            if existing is not None:  # a concurrent call for the same source won
                return existing
    raise RuntimeError("could not draw a free payment reference")


def payment_cancel(*, source_ref: str) -> Payment | None:
    """The citizen withdrew before paying: the payment is CANCELLED (no longer payable). A paid
    one is left alone (refunding is the service's rule, `refund_request`). None when nothing was
    owed."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(source_ref=source_ref).first()
        if payment is None or payment.state != Payment.AWAITING:
            return payment
        payment.state = Payment.CANCELLED
        payment.save(update_fields=["state", "updated_at"])
        PaymentAttempt.objects.filter(payment=payment, state=PaymentAttempt.PENDING).update(
            state=PaymentAttempt.EXPIRED,
            failure_code="payment_cancelled",
            finished_at=timezone.now(),
        )
        _audit(payment, actor=None, action="payment.cancel")
    return payment


# --- applying what a provider says ----------------------------------------------------------

# What `_status_apply` did, for webhooks, polls and their counters.
PAID = "paid"
DOUBLE = "double"  # money taken on a payment already paid or no longer payable: refunded
DECLINED = "declined"
EXPIRED = "expired"
STILL_PENDING = "pending"
DUPLICATE = "duplicate"  # this attempt already has this outcome
STALE = "stale"  # a contrary answer after a final one (e.g. declined after succeeded): ignored
MISMATCH = "mismatch"  # the provider reports another amount or currency: not counted, flagged


def _status_apply(*, attempt_id: int, status: Status, via: str) -> str:
    """Apply one provider answer about one attempt, in one transaction (the payment row locked
    first, then the attempt, everywhere, so two answers never deadlock). Out of order safe: a
    success always wins over pending/declined/expired/failed (the money moved), and nothing
    after a success changes it. A success on a payment that another attempt (or a bank
    transfer) already paid, or that expired, is a double payment: refunded automatically."""
    now = timezone.now()
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
        attempt.state = status.outcome
        attempt.failure_code = (status.failure_code or status.outcome)[:60]
        attempt.finished_at = status.at or now
        attempt.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])
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
        attempt.state = PaymentAttempt.SUCCEEDED
        attempt.failure_code = ""
        attempt.finished_at = at
        attempt.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])
        payment.state = Payment.PAID
        payment.amount_paid = status.amount
        payment.paid_at = at
        payment.paid_via = attempt.provider
        payment.save(update_fields=["state", "amount_paid", "paid_at", "paid_via", "updated_at"])
        # An invoice to pay at a bank is over once the fee is paid another way.
        for other in PaymentAttempt.objects.filter(payment=payment, state=PaymentAttempt.PENDING):
            if not _hosted(other.provider):
                other.state = PaymentAttempt.EXPIRED
                other.failure_code = "paid_otherwise"
                other.finished_at = now
                other.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])
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
    attempt.state = PaymentAttempt.REFUNDED
    attempt.failure_code = why
    attempt.finished_at = at
    attempt.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])
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


# --- refunds --------------------------------------------------------------------------------


def _refund_send_after_commit(refund_id: int) -> None:
    def send() -> None:
        try:
            refund_send(refund_id=refund_id)
        except Exception:  # committed; the sweep sends it again with the same key
            log.exception("sending refund %s failed; the sweep will retry", refund_id)

    transaction.on_commit(send)


def _refund_attempt(refund: Refund) -> PaymentAttempt | None:
    """The attempt whose money a refund returns: its own, else the payment's paid attempt."""
    if refund.attempt_id is not None:
        return refund.attempt
    return PaymentAttempt.objects.filter(
        payment_id=refund.payment_id, state=PaymentAttempt.SUCCEEDED
    ).first()


def refund_send(*, refund_id: int) -> str:
    """Ask the provider to return a PENDING refund's money, with the refund's own idempotency
    key (sent again after a timeout, it never pays out twice). Outside any transaction: the
    outcome is recorded by `refund_record_result`. Returns the refund's state afterwards."""
    refund = Refund.objects.select_related("attempt", "payment").get(pk=refund_id)
    if refund.state != Refund.PENDING or refund.provider_ref:
        return refund.state
    attempt = _refund_attempt(refund)
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


def _refund_actor_check(*, actor: Any | None, payment: Payment, permission: str) -> None:
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


def _refundable(payment: Payment) -> int:
    under_way = (
        Refund.objects.filter(
            payment=payment,
            kind=Refund.FEE,
            state__in=(Refund.AWAITING_APPROVAL, Refund.PENDING),
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(payment.amount_paid - payment.amount_refunded - under_way, 0)


def refund_request(
    *,
    actor: Any | None,
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
    payment = _payment_by_public_id(payment_public_id)
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
            refundable = _refundable(payment)
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
    return refund


def _refund_for_decision(*, actor: Any, refund_public_id: uuid.UUID | str) -> Refund:
    key = _as_uuid(refund_public_id)
    refund = Refund.objects.filter(public_id=key).first() if key is not None else None
    if refund is None:
        raise not_found("refund")
    if actor is None:
        raise forbidden("A refund above the threshold is approved by an officer.")
    _refund_actor_check(actor=actor, payment=refund.payment, permission=permissions.APPROVE_REFUND)
    return refund


def refund_approve(*, actor: Any, refund_public_id: uuid.UUID | str) -> Refund:
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
    return refund


def refund_reject(*, actor: Any, refund_public_id: uuid.UUID | str, note: str) -> Refund:
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
