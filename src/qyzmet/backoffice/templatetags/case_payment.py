"""The fee beside an officer's case ("Paid", "Not paid", "Refunded (N ₸)"), read through the
payments selectors; a case with nothing to pay shows no fee line."""

from __future__ import annotations

from typing import Any

from django import template

from qyzmet.payments.selectors import payment_by_public_id
from qyzmet.ui.payments import case_fee_words
from qyzmet.ui.titles import current_lang

register = template.Library()


@register.inclusion_tag("backoffice/_case_fee.html")
def case_fee(application: Any) -> dict[str, Any]:
    public_id = getattr(application, "payment_public_id", None)
    payment = payment_by_public_id(public_id=public_id) if public_id else None
    return {"fee": case_fee_words(payment, current_lang())}
