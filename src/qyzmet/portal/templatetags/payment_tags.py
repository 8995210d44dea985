"""The fee on the citizen's application page: paid (when, the receipt), refunded (each refund
with its state), or not paid in time, read through the payments selectors. While the fee is due
the page's own "Payment due" line leads to the payment page, so nothing is added then."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from qyzmet.payments.selectors import payment_by_public_id
from qyzmet.ui.payments import payment_words
from qyzmet.ui.titles import current_lang

register = template.Library()


@register.inclusion_tag("portal/payments/_application_payment.html")
def application_payment(application: Any) -> dict[str, Any]:
    public_id = getattr(application, "payment_public_id", None)
    payment = payment_by_public_id(public_id=public_id) if public_id else None
    if payment is None or payment.is_payable:
        return {"payment": None}
    url = reverse("my-payment", kwargs={"public_id": payment.public_id})
    return {
        "payment": payment_words(payment, current_lang()),
        "payment_url": url,
        "receipt_url": reverse("my-payment-receipt", kwargs={"public_id": payment.public_id})
        if payment.receipt_document_id
        else "",
    }
