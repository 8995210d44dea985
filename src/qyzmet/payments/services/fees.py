"""A fee due: requiring a payment for an application (or cancelling it)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from qyzmet.core.events import event_publish

from .. import errors, events
from ..models import Payment, PaymentAttempt
from .common import _audit
from .configuration import LANGUAGES, expiry_delay
from .references import reference_make


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
