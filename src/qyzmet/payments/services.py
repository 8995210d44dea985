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
import ipaddress
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.compiled import CompiledInsert
from qyzmet.core.events import event_publish
from qyzmet.core.problem import forbidden, not_found
from qyzmet.core.tasks import enqueue_now, enqueue_on_commit

from . import errors, events, permissions
from .models import (
    Payment,
    PaymentAttempt,
    ProviderWebhook,
    ReconciliationRun,
    Refund,
)
from .providers import base
from .providers.base import (
    CreateRequest,
    PaymentProvider,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    Status,
    WebhookRejected,
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


def _attempt_finish(attempt: PaymentAttempt, *, state: str, failure_code: str,
                    at: dt.datetime) -> None:
    """Record an attempt's final state (the one way every apply path writes it)."""
    attempt.state = state
    attempt.failure_code = failure_code[:60]
    attempt.finished_at = at
    attempt.save(update_fields=["state", "failure_code", "finished_at", "updated_at"])


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
        payment_id = PaymentAttempt.objects.values_list("payment_id", flat=True).get(
            pk=attempt_id
        )
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


# --- refunds --------------------------------------------------------------------------------


def _refund_send_after_commit(refund_id: int) -> None:
    """A failed send (or enqueue) is logged: the refund is committed, and the poll sweep sends
    it again with the same idempotency key."""
    from .tasks import refund_send as task  # the tasks module imports this one

    enqueue_on_commit(task, refund_id)


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
    refund.refresh_from_db()  # sent at commit when this was the outermost transaction
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
    refund.refresh_from_db()
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


# --- attempts -------------------------------------------------------------------------------


def _payment_for_payer(*, actor: Any | None, public_id: uuid.UUID | str) -> Payment:
    """The payment, if `actor` is its payer (None: the platform itself); else 404."""
    payment = _payment_by_public_id(public_id)
    if actor is not None and getattr(actor, "pk", None) != payment.payer_id:
        raise not_found("payment")
    return payment


def _attempt_same(
    attempt: PaymentAttempt, *, actor: Any | None, public_id: Any, return_url: str
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
    actor: Any | None,
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
    payment = _payment_for_payer(actor=actor, public_id=payment_public_id)
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


# --- webhooks -------------------------------------------------------------------------------


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
    from .tasks import webhooks_apply as task

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


def _webhooks_due(now: dt.datetime):
    return ProviderWebhook.objects.filter(state=ProviderWebhook.RECEIVED).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )


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
                _webhooks_due(now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("received_at", "id")
                .only(*_APPLY_FIELDS)[:limit]
            )
            _webhooks_apply_batch(hooks, now=now, counts=counts)
        return counts
    due = list(
        _webhooks_due(now).order_by("received_at", "id").values_list("pk", flat=True)[:limit]
    )
    with transaction.atomic():
        claimed = [
            pk
            for pk in due
            if _webhooks_due(now).filter(pk=pk).update(retry_at=now + WEBHOOK_LEASE)
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


# --- the daily reconciliation ---------------------------------------------------------------


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )
    return start, start + dt.timedelta(days=1)


def _line_data(code: str, line: base.SettlementLine, **extra: Any) -> dict[str, Any]:
    return {
        "provider": code,
        "provider_ref": line.provider_ref,
        "reference": line.reference,
        "amount": line.amount,
        "currency": line.currency,
        "line_ref": line.line_ref,
        **extra,
    }


def _reconcile_provider(
    code: str, impl: PaymentProvider, *, day: dt.date, mismatches: list[dict[str, Any]]
) -> dict[str, int] | None:
    """One provider's settlement report of `day` against our attempts (see `reconcile_day`)."""
    try:
        lines = impl.settlement(day)
    except NotImplementedError:
        return None
    except (ProviderUnavailable, ProviderRefused) as exc:
        mismatches.append(
            {"kind": "provider_unavailable", "provider": code, "detail": str(exc)[:300]}
        )
        return {"unavailable": 1}
    start, end = _day_bounds(day)
    seen: set[int] = set()
    arrivals: dict[int, int] = {}  # payment id -> money-in lines naming it
    credits = [line for line in lines if line.amount > 0]
    for line in credits:
        attempt = None
        if line.provider_ref:
            attempt = (
                PaymentAttempt.objects.select_related("payment")
                .filter(provider=code, provider_ref=line.provider_ref)
                .first()
            )
        if attempt is None:
            payment = Payment.objects.filter(reference=reference_normalise(line.reference)).first()
            if payment is None:
                mismatches.append(_line_data(code, line, kind="missing_on_platform"))
                continue
            if line.amount != payment.amount or line.currency != payment.currency:
                mismatches.append(
                    _line_data(code, line, kind="amount_differs", expected=payment.amount)
                )
                continue
            attempt = (
                PaymentAttempt.objects.filter(
                    payment=payment,
                    provider=code,
                    state__in=(PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED),
                )
                .exclude(pk__in=seen)
                .order_by("finished_at", "id")
                .first()
            )
            if attempt is None:
                mismatches.append(_line_data(code, line, kind="missing_on_platform"))
                continue
        if line.amount != attempt.amount or line.currency != attempt.currency:
            mismatches.append(
                _line_data(code, line, kind="amount_differs", expected=attempt.amount)
            )
            continue
        if attempt.state not in (PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED):
            # The provider took money we never recorded (a lost webhook and failed polls): apply
            # it now — paid, or refunded if the payment was paid meanwhile — and say so.
            status = Status(
                provider_ref=attempt.provider_ref,
                outcome=base.SUCCEEDED,
                amount=line.amount,
                currency=line.currency,
                at=min(end - dt.timedelta(seconds=1), timezone.now()),
            )
            outcome = _status_apply(attempt_id=attempt.pk, status=status, via="settlement")
            mismatches.append(_line_data(code, line, kind="recovered", outcome=outcome))
        seen.add(attempt.pk)
        arrivals[attempt.payment_id] = arrivals.get(attempt.payment_id, 0) + 1
    for payment_id, count in sorted(arrivals.items()):
        if count > 1:
            payment = Payment.objects.get(pk=payment_id)
            mismatches.append(
                {
                    "kind": "paid_twice",
                    "provider": code,
                    "reference": payment.reference,
                    "count": count,
                    "double_refunds": payment.refunds.filter(kind=Refund.DOUBLE).count(),
                }
            )
    ours = PaymentAttempt.objects.filter(
        provider=code,
        state__in=(PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED),
        finished_at__gte=start,
        finished_at__lt=end,
    ).select_related("payment")
    platform_count = platform_sum = 0
    for attempt in ours:
        platform_count += 1
        platform_sum += attempt.amount
        if attempt.pk not in seen:
            mismatches.append(
                {
                    "kind": "missing_at_provider",
                    "provider": code,
                    "provider_ref": attempt.provider_ref,
                    "reference": attempt.payment.reference,
                    "amount": attempt.amount,
                    "currency": attempt.currency,
                }
            )
    debits = [line for line in lines if line.amount < 0]
    return {
        "provider_count": len(credits),
        "provider_sum": sum(line.amount for line in credits),
        "platform_count": platform_count,
        "platform_sum": platform_sum,
        "refunds_count": len(debits),
        "refunds_sum": -sum(line.amount for line in debits),
    }


def reconcile_day(*, day: dt.date) -> ReconciliationRun:
    """Compare each provider's settlement report of `day` (for pay by reference: the imported
    bank statements' lines) with the platform's records and list what a person must look at:
    `missing_on_platform` (money we have no record of), `missing_at_provider` (a success the
    provider does not report), `amount_differs`, `paid_twice`, `recovered` (a provider-side
    success we had missed: applied now, as paid or refunded) and `provider_unavailable`. The
    bank statements come in through the reference provider's settlement (every line booked
    that day), so a line that matched no invoice is `missing_on_platform` here too. Re-running
    replaces the day's run (it is a report, and recoveries are idempotent)."""
    mismatches: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for code in sorted(providers_configured()):
        try:
            impl = provider_for(code)
        except Exception:  # configured but its plug-in is missing: say so, do not stop
            mismatches.append(
                {"kind": "provider_unavailable", "provider": code, "detail": "plug-in not found"}
            )
            continue
        figures = _reconcile_provider(code, impl, day=day, mismatches=mismatches)
        if figures is not None:
            summary[code] = figures
    summary["mismatches"] = len(mismatches)
    with transaction.atomic():
        run, _ = ReconciliationRun.objects.update_or_create(
            day=day, defaults={"summary": summary, "mismatches": mismatches}
        )
        audit_record(
            actor=None,
            kind=Kind.CHANGE,
            action="payment.reconcile",
            object_type="reconciliation",
            object_id=run.pk,
            data={"day": day.isoformat(), "mismatches": len(mismatches)},
        )
    return run
