"""Payment references: short codes with check digits that a payer types into a bank transfer."""

from __future__ import annotations

import secrets

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
