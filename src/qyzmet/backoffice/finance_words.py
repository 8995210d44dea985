"""The finance desk's words for the payments context's codes: states of payments, attempts,
refunds, statement lines and webhooks, providers, reconciliation findings. A code never reaches
a person; an unknown one reads as a neutral word, never as itself."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from qyzmet.ui.money import money_display
from qyzmet.ui.titles import current_lang

PAYMENT_STATES = {
    "awaiting": pgettext_lazy("payment state", "Awaiting payment"),
    "paid": pgettext_lazy("payment state", "Paid"),
    "expired": pgettext_lazy("payment state", "Not paid in time"),
    "cancelled": pgettext_lazy("payment state", "Cancelled"),
    "refunded": pgettext_lazy("payment state", "Refunded"),
    "partially_refunded": pgettext_lazy("payment state", "Partly refunded"),
}
ATTEMPT_STATES = {
    "pending": pgettext_lazy("payment attempt", "Waiting for the result"),
    "succeeded": pgettext_lazy("payment attempt", "Succeeded"),
    "declined": pgettext_lazy("payment attempt", "Declined"),
    "expired": pgettext_lazy("payment attempt", "Abandoned"),
    "failed": pgettext_lazy("payment attempt", "Provider unreachable, nothing charged"),
    "refunded": pgettext_lazy("payment attempt", "Paid twice, returned"),
}
REFUND_STATES = {
    "awaiting_approval": pgettext_lazy("refund state", "Awaiting a second officer"),
    "rejected": pgettext_lazy("refund state", "Rejected"),
    "pending": pgettext_lazy("refund state", "Sent, no answer yet"),
    "succeeded": pgettext_lazy("refund state", "Refunded"),
    "failed": pgettext_lazy("refund state", "Failed"),
}
REFUND_KINDS = {
    "fee": pgettext_lazy("refund kind", "Fee refund"),
    "double": pgettext_lazy("refund kind", "Money paid twice, returned automatically"),
}
LINE_STATES = {
    "matched": pgettext_lazy("statement line", "Paid an invoice"),
    "unmatched": pgettext_lazy("statement line", "No invoice found"),
    "mismatch": pgettext_lazy("statement line", "Amount or currency differs"),
    "duplicate": pgettext_lazy("statement line", "Invoice already paid; returned"),
    "resolved": pgettext_lazy("statement line", "Settled by a person"),
    "ignored": pgettext_lazy("statement line", "Not a citizen's payment"),
}
WEBHOOK_STATES = {
    "received": pgettext_lazy("webhook state", "Received, not yet applied"),
    "processed": pgettext_lazy("webhook state", "Applied"),
    "rejected": pgettext_lazy("webhook state", "Refused: signature did not verify"),
    "ignored": pgettext_lazy("webhook state", "For a charge the platform does not know"),
    "failed": pgettext_lazy("webhook state", "Could not be applied; left for a person"),
}
PROVIDERS = {
    "sandbox": pgettext_lazy("payment provider", "Bank card (test acquirer)"),
    "reference": pgettext_lazy("payment provider", "Bank transfer by invoice number"),
    "test": pgettext_lazy("payment provider", "Test acquirer"),
}
FINDINGS = {
    "missing_on_platform": gettext_lazy(
        "Money the provider or the bank reports that the platform has no record of"),
    "missing_at_provider": gettext_lazy(
        "A payment the platform recorded that the provider does not report"),
    "amount_differs": gettext_lazy("The amount differs from the platform's record"),
    "paid_twice": gettext_lazy("The same invoice was paid more than once"),
    "recovered": gettext_lazy(
        "A payment the platform had missed (its notice was lost); recorded now"),
    "provider_unavailable": gettext_lazy("The provider's report could not be read"),
}


def word(table: dict[str, Any], code: str) -> str:
    return str(table.get(code) or pgettext_lazy("unknown code", "Other"))


def provider_word(code: str) -> str:
    if not code:
        return ""
    return word(PROVIDERS, code) if code in PROVIDERS else str(
        pgettext_lazy("payment provider", "Another payment provider"))


def money(amount: int | None, currency: str = "KZT") -> str:
    if amount is None:
        return ""
    return money_display(amount=amount, currency=currency, lang=current_lang())


def finding_sentence(item: dict[str, Any]) -> str:
    """One reconciliation finding as a sentence a finance officer reads."""
    kind = str(item.get("kind", ""))
    what = word(FINDINGS, kind) if kind in FINDINGS else _("Something to look at")
    parts = [what]
    provider = provider_word(str(item.get("provider", "")))
    if provider:
        parts.append(_("through %(provider)s") % {"provider": provider})
    reference = str(item.get("reference") or "")
    if reference.isdigit():
        parts.append(_("invoice %(number)s") % {"number": reference})
    elif reference:  # a bank line no invoice claims: what the payer wrote
        parts.append(_("payment details “%(text)s”") % {"text": reference[:140]})
    if isinstance(item.get("amount"), int):
        parts.append(money(item["amount"], str(item.get("currency") or "KZT")))
    if isinstance(item.get("expected"), int):
        parts.append(_("the platform expected %(amount)s")
                     % {"amount": money(item["expected"], str(item.get("currency") or "KZT"))})
    if isinstance(item.get("count"), int) and kind == "paid_twice":
        parts.append(_("paid %(count)s times") % {"count": item["count"]})
    return "; ".join(parts) + "."
