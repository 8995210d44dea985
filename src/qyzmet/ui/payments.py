"""A payment as a person reads it: its state, each try at paying and each refund in words of the
reader's language, never the codes the payments context keeps (`paid`, `insufficient_funds`,
`awaiting_approval`). Shared by the citizen's pages and the officer's case page.

Refund reasons are a person's text (an officer's, or the service's rule written in the payer's
language) and are shown as written; a refund of money paid twice is the platform's own and is
said here instead, since its stored reason is an English note for the finance desk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from qyzmet.core.formats import date_long
from qyzmet.payments.receipts import provider_label
from qyzmet.payments.selectors import AttemptView, PaymentView, RefundView

from .money import money_display

PAYMENT_STATES = {
    "awaiting": pgettext_lazy("payment state", "Not paid yet"),
    "paid": pgettext_lazy("payment state", "Paid"),
    "expired": pgettext_lazy("payment state", "Not paid in time"),
    "cancelled": pgettext_lazy("payment state", "Cancelled"),
    "refunded": pgettext_lazy("payment state", "Refunded"),
    "partially_refunded": pgettext_lazy("payment state", "Partly refunded"),
}
# The officer's word beside a case: whether the fee came in (an unpaid one never reaches the
# agency's inbox, but a case may be opened from a link or the history).
CASE_STATES = {
    "awaiting": pgettext_lazy("fee on a case", "Not paid"),
    "expired": pgettext_lazy("fee on a case", "Not paid"),
    "cancelled": pgettext_lazy("fee on a case", "Not paid"),
    "paid": pgettext_lazy("fee on a case", "Paid"),
}
ATTEMPT_STATES = {
    "pending": pgettext_lazy("payment attempt", "Waiting for the bank's answer"),
    "succeeded": pgettext_lazy("payment attempt", "Paid"),
    "declined": pgettext_lazy("payment attempt", "Declined: nothing was charged"),
    "expired": pgettext_lazy("payment attempt", "Not completed: nothing was charged"),
    "failed": pgettext_lazy(
        "payment attempt", "Card payments could not be reached: nothing was charged"
    ),
    "refunded": pgettext_lazy("payment attempt", "Paid a second time: returned to you"),
}
# Why the bank said no, as the card schemes' codes come back from the acquirer.
FAILURES = {
    "insufficient_funds": pgettext_lazy(
        "payment failure", "There is not enough money on the card."
    ),
    "card_declined": pgettext_lazy("payment failure", "The bank that issued the card declined it."),
    "authentication_failed": pgettext_lazy(
        "payment failure", "The one-time code from your bank was not confirmed."
    ),
    "cancelled": pgettext_lazy("payment failure", "You cancelled the payment on the card page."),
}
REFUND_STATES = {
    "awaiting_approval": pgettext_lazy("refund state", "Waiting for a second officer's approval"),
    "rejected": pgettext_lazy("refund state", "Not approved"),
    "pending": pgettext_lazy("refund state", "Being returned to you"),
    "succeeded": pgettext_lazy("refund state", "Returned to you"),
    "failed": pgettext_lazy("refund state", "Could not be returned: the agency will contact you"),
}
# A tag's look: green for money that arrived, plain otherwise.
PAID_STATES = frozenset({"paid"})


def payment_state_label(state: str) -> str:
    return str(PAYMENT_STATES.get(state) or pgettext("payment state", "Unknown"))


def failure_words(code: str) -> str:
    """Why an attempt was declined, in words (a code the acquirer added later reads as a plain
    decline, never as the code)."""
    return str(FAILURES.get(code) or pgettext("payment failure", "The bank declined the payment."))


def moment_words(value: dt.datetime, lang: str) -> str:
    """A moment as the citizen reads it: "2026 жылғы 7 желтоқсан, 14:05" (local time)."""
    local = timezone.localtime(value)
    return f"{date_long(local.date(), lang)}, {local:%H:%M}"


@dataclass(frozen=True)
class AttemptRow:
    at: str
    way: str
    outcome: str
    reason: str  # why it was declined, "" otherwise


@dataclass(frozen=True)
class RefundRow:
    amount: str
    state: str
    state_code: str
    reason: str
    at: str


@dataclass(frozen=True)
class PaymentWords:
    """One payment in words of one language, for a template."""

    public_id: str
    reference: str
    reference_grouped: str  # "1234 5678 9012": easier to read out and type at a bank
    description: str
    amount: str
    full: str  # the fee before the exemption ("" without one)
    exemption: str
    state: str
    state_code: str
    paid: bool
    payable: bool
    pay_by: str
    pay_by_iso: str
    paid_at: str
    paid_via: str
    refunded: str  # the total returned ("" when nothing was)
    attempts: tuple[AttemptRow, ...]
    refunds: tuple[RefundRow, ...]


def _attempt_row(attempt: AttemptView, lang: str) -> AttemptRow:
    outcome = str(ATTEMPT_STATES.get(attempt.state) or attempt.state)
    if attempt.state == "pending" and attempt.provider == "reference":
        outcome = pgettext("payment attempt", "Invoice issued: waiting for the bank's statement")
    return AttemptRow(
        at=moment_words(attempt.created_at, lang),
        way=provider_label(attempt.provider),
        outcome=outcome,
        reason=failure_words(attempt.failure_code) if attempt.state == "declined" else "",
    )


def _refund_row(refund: RefundView, *, currency: str, lang: str) -> RefundRow:
    reason = refund.reason
    if refund.kind == "double":
        reason = _("You paid twice: the second payment is returned to you in full, automatically.")
    return RefundRow(
        amount=money_display(amount=refund.amount, currency=currency, lang=lang),
        state=str(REFUND_STATES.get(refund.state) or refund.state),
        state_code=refund.state,
        reason=reason,
        at=moment_words(refund.created_at, lang),
    )


def reference_grouped(reference: str) -> str:
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def payment_words(payment: PaymentView, lang: str) -> PaymentWords:
    """`payment` in words of `lang` (call inside that language)."""

    def money(amount: int) -> str:
        return money_display(amount=amount, currency=payment.currency, lang=lang)

    label = (payment.exemption or {}).get("label") or {}
    exemption = str(label.get(lang) or label.get("en") or "") if payment.exemption else ""
    has_exemption = bool(exemption and payment.amount_before_exemption)
    return PaymentWords(
        public_id=payment.public_id,
        reference=payment.reference,
        reference_grouped=reference_grouped(payment.reference),
        description=payment.describe(lang),
        amount=money(payment.amount),
        full=money(payment.amount_before_exemption or 0) if has_exemption else "",
        exemption=exemption if has_exemption else "",
        state=payment_state_label(payment.state),
        state_code=payment.state,
        paid=payment.state in PAID_STATES,
        payable=payment.is_payable,
        pay_by=moment_words(payment.expires_at, lang),
        pay_by_iso=timezone.localtime(payment.expires_at).isoformat(),
        paid_at=moment_words(payment.paid_at, lang) if payment.paid_at else "",
        paid_via=provider_label(payment.paid_via) if payment.paid_via else "",
        refunded=money(payment.amount_refunded) if payment.amount_refunded else "",
        attempts=tuple(_attempt_row(a, lang) for a in reversed(payment.attempts)),
        refunds=tuple(
            _refund_row(r, currency=payment.currency, lang=lang) for r in payment.refunds
        ),
    )


def case_fee_words(payment: PaymentView | None, lang: str) -> dict[str, str] | None:
    """The fee beside an officer's case: "Paid 17 300 ₸", "Not paid", "Refunded (17 300 ₸)"; None
    when the case had nothing to pay."""
    if payment is None:
        return None

    def money(amount: int) -> str:
        return money_display(amount=amount, currency=payment.currency, lang=lang)

    if payment.state == "refunded":
        label = pgettext("fee on a case", "Refunded (%(amount)s)") % {
            "amount": money(payment.amount_refunded)
        }
    elif payment.state == "partially_refunded":
        label = pgettext("fee on a case", "Partly refunded (%(amount)s)") % {
            "amount": money(payment.amount_refunded)
        }
    else:
        label = str(CASE_STATES.get(payment.state) or payment_state_label(payment.state))
    return {
        "label": label,
        "state": payment.state,
        "amount": money(payment.amount_paid or payment.amount),
        "paid_at": moment_words(payment.paid_at, lang) if payment.paid_at else "",
    }
