"""The catalogue of the payments context's events (outbox topics) and their one payload shape.

Every payload carries `payment_id`, `public_id`, `source_ref`, `reference`, `amount` and
`currency`, so a listener (applications: "application:42") finds its own object from
`source_ref` without reading the payments tables. Extra keys per topic:

- `payment.required`  — nothing more; a fee is due.
- `payment.succeeded` — `paid_at` (ISO 8601), `provider` (code). The legal deadline counts from
  the day paid; the receipt is issued from this event.
- `payment.declined`  — `failure_code` (the provider's reason); the citizen may try again.
- `payment.expired`   — nothing more; the application lapses, the citizen is told.
- `payment.refunded`  — `refund_id` (public id), `refund_amount`, `amount_refunded` (the total
  returned so far).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Payment

PAYMENT_REQUIRED = "payment.required"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_DECLINED = "payment.declined"
PAYMENT_EXPIRED = "payment.expired"
PAYMENT_REFUNDED = "payment.refunded"
TOPICS = (PAYMENT_REQUIRED, PAYMENT_SUCCEEDED, PAYMENT_DECLINED, PAYMENT_EXPIRED, PAYMENT_REFUNDED)


def payment_payload(payment: Payment, **extra: Any) -> dict[str, Any]:
    """The payload of every `payment.*` event: plain JSON (strings and integers only)."""
    return {
        "payment_id": payment.pk,
        "public_id": str(payment.public_id),
        "source_ref": payment.source_ref,
        "reference": payment.reference,
        "amount": payment.amount,
        "currency": payment.currency,
        **extra,
    }
