"""The sandbox's test cards and the checks of its card form.

Each test number stands for one thing a real acquirer does, so the platform's handling of it can
be shown and tested: a success, a decline, a 3-D Secure challenge, a bank that never answers and
a success whose webhook is lost. Any other number that passes the Luhn check is declined; a
number that fails it is a mistake in the form, reported on the field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

# Outcomes of a card: what the form's submission leads to.
SUCCEED = "succeed"
DECLINE_FUNDS = "decline_insufficient_funds"
CHALLENGE = "challenge"  # 3-D Secure: a second page asks for the one-time code
TIMEOUT = "timeout"  # the bank never answers: pending until the page times out
SUCCEED_NO_WEBHOOK = "succeed_no_webhook"
DECLINE = "decline"  # any other valid number

TEST_CARDS: dict[str, str] = {
    "4000000000000002": SUCCEED,
    "4000000000000010": DECLINE_FUNDS,
    "4000000000003220": CHALLENGE,
    "4000000000000028": TIMEOUT,
    "4000000000000036": SUCCEED_NO_WEBHOOK,
}
CHALLENGE_CODE = "123456"

# Decline codes the sandbox reports (`failure_code`), as a card scheme would.
INSUFFICIENT_FUNDS = "insufficient_funds"
CARD_DECLINED = "card_declined"
AUTHENTICATION_FAILED = "authentication_failed"
CANCELLED = "cancelled"


def luhn_valid(number: str) -> bool:
    """The Luhn check every card number carries: it catches a mistyped digit or a swap."""
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        digit = int(ch)
        if i % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_outcome(number: str) -> str:
    """What submitting a Luhn-valid `number` leads to."""
    return TEST_CARDS.get(number, DECLINE)


@dataclasses.dataclass(frozen=True)
class CardForm:
    """The card form as submitted, cleaned: `errors` maps a field name to a message key."""

    number: str
    expiry: str
    name: str
    errors: dict[str, str]


_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


def card_form_check(form: dict[str, str], *, today: dt.date) -> CardForm:
    """Check the four fields the way a payer needs it: each problem is named on its own field
    (message keys of `pages.MESSAGES`), spaces and dashes in the number are allowed."""
    errors: dict[str, str] = {}
    raw_number = form.get("card_number", "")
    number = re.sub(r"[\s-]", "", raw_number)
    if not number:
        errors["card_number"] = "err_card_required"
    elif not luhn_valid(number):
        errors["card_number"] = "err_card_invalid"
    expiry = form.get("expiry", "").strip()
    match = _EXPIRY.match(expiry)
    if not expiry or not match or not 1 <= int(match.group(1)) <= 12:
        errors["expiry"] = "err_expiry_format"
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year = year + 2000 if year < 100 else year
        if (year, month) < (today.year, today.month):
            errors["expiry"] = "err_expiry_past"
    cvc = form.get("cvc", "").strip()
    if not re.fullmatch(r"\d{3,4}", cvc):
        errors["cvc"] = "err_cvc"
    name = " ".join(form.get("name", "").split())
    if not name:
        errors["name"] = "err_name"
    return CardForm(number=number, expiry=expiry, name=name[:100], errors=errors)
