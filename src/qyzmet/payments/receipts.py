"""The receipt of a paid fee: a signed PDF issued like any result document (verifiable at its QR
code, logged in the transparency log), from the `payment.succeeded` event after commit.

Issued once per payment: `documents.document_issue` is idempotent on its source
("payment:<id>"), and the payment keeps the document's public id in `receipt_document_id`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import pgettext

from qyzmet.core.events import consumer
from qyzmet.core.money import money_display
from qyzmet.core.problem import Problem
from qyzmet.documents.services import document_issue
from qyzmet.identity.selectors import organisation_get

from . import events
from .models import Payment

TITLE = {"kk": "Төлем түбіртегі", "ru": "Квитанция об оплате", "en": "Payment receipt"}
# Who issues a receipt when the agency is not in the directory (a demo service, say).
PLATFORM_NAME = {
    "kk": "Мемлекеттік қызметтер порталы",
    "ru": "Портал государственных услуг",
    "en": "Public services portal",
}


def provider_label(code: str) -> str:
    """How a person knows the way they paid (never the provider's internal code)."""
    labels = {
        "sandbox": pgettext("payment receipt", "Bank card"),
        "reference": pgettext("payment receipt", "Bank transfer by invoice number"),
    }
    return labels.get(code) or pgettext("payment receipt", "Online payment")


def _printed(payment: Payment, lang: str) -> tuple[str, dict[str, str]]:
    with translation.override(lang):
        service = (payment.description.get(lang) or payment.description.get("en")
                   or payment.service_code)  # fmt: skip
        paid_at = timezone.localtime(payment.paid_at or timezone.now())
        amount = money_display(amount=payment.amount_paid, currency=payment.currency, lang=lang)
        fields = {
            pgettext("payment receipt", "Invoice number"): payment.reference,
            pgettext("payment receipt", "Service"): service,
            pgettext("payment receipt", "Amount paid"): amount,
            pgettext("payment receipt", "Paid at"): paid_at.strftime("%d.%m.%Y %H:%M"),
            pgettext("payment receipt", "Paid by"): provider_label(payment.paid_via),
        }
        if payment.exemption and payment.amount_before_exemption:
            label = payment.exemption.get("label") or {}
            fields[pgettext("payment receipt", "Fee before exemption")] = money_display(
                amount=payment.amount_before_exemption, currency=payment.currency, lang=lang
            )
            fields[pgettext("payment receipt", "Exemption")] = str(
                label.get(lang) or label.get("en") or ""
            ) or pgettext("payment receipt", "Exemption applied")
        body = pgettext(
            "payment receipt",
            "The fee for the service «%(service)s» was received in full. "
            "Invoice number %(reference)s.",
        ) % {"service": service, "reference": payment.reference}
    return body, fields


def receipt_issue(*, payment_id: int) -> str:
    """Issue (once) the receipt of a paid payment; returns the document's public id ("" when
    the payment is not paid). Owned by the payer, issued in the payment's language."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.paid_at is None or not payment.amount_paid:
        return ""
    lang = payment.language if payment.language in TITLE else "kk"
    try:
        issuer_name = organisation_get(code=payment.agency_code).names
        if not all(issuer_name.get(code) for code in TITLE):
            issuer_name = PLATFORM_NAME
    except Problem:
        issuer_name = PLATFORM_NAME
    body, fields = _printed(payment, lang)
    document = document_issue(
        actor=None,
        source_ref=f"payment:{payment.pk}",
        owner_iin=payment.payer_iin,
        issuer_code=payment.agency_code,
        issuer_name=issuer_name,
        title=TITLE,
        language=lang,
        body_text=body,
        printed_fields=fields,
        valid_days=None,
    )
    Payment.objects.filter(pk=payment.pk, receipt_document_id="").update(
        receipt_document_id=str(document.public_id)
    )
    return str(document.public_id)


@consumer(events.PAYMENT_SUCCEEDED)
def receipt_on_paid(event: dict[str, Any]) -> None:
    receipt_issue(payment_id=event["payment_id"])
