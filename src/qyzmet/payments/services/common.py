"""What every payment command shares: the audit row, the payment row lock, ISO times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.actor import Actor

from ..models import Payment


def _audit(
    payment: Payment, *, actor: Actor | None, action: str, kind: str = Kind.CHANGE, **data: Any
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
