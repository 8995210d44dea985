"""IIN and BIN: Kazakhstan's 12-digit identification numbers and their check digit.

The check digit is a weighted sum modulo 11: first with weights 1..11; if that gives 10, again
with weights 3..11,1,2; if the second pass gives 10 as well the number cannot be issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from qyzmet.core.identifiers import InvalidIdentifier  # the platform's, raised here

_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first11: str) -> int | None:
    """The check digit for 11 digits, or None when no valid number exists for them."""
    digits = [int(c) for c in first11]
    value = sum(d * w for d, w in zip(digits, _W1, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, _W2, strict=True)) % 11
        if value == 10:
            return None
    return value


def _check_shape(number: str, kind: str) -> None:
    if len(number) != 12 or not number.isdigit():
        raise InvalidIdentifier(f"{kind} must be exactly 12 digits")
    expected = check_digit(number[:11])
    if expected is None:
        raise InvalidIdentifier(f"{kind} cannot be issued: its check digit does not exist")
    if expected != int(number[11]):
        raise InvalidIdentifier(f"{kind} check digit is wrong")


def iin_birth_date(iin: str) -> dt.date:
    century = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}.get(int(iin[6]))
    if century is None:
        raise InvalidIdentifier("IIN's 7th digit (century and sex) must be 1 to 6")
    try:
        return dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError as exc:
        raise InvalidIdentifier("IIN does not start with a valid birth date (YYMMDD)") from exc


def iin_validate(iin: str) -> str:
    """Return the IIN unchanged if valid, else raise InvalidIdentifier with the reason."""
    iin = (iin or "").strip()
    _check_shape(iin, "IIN")
    iin_birth_date(iin)
    return iin


def iin_sex(iin: str) -> str:
    return "M" if int(iin[6]) % 2 == 1 else "F"


def bin_validate(bin_: str) -> str:
    """Return the BIN unchanged if valid, else raise InvalidIdentifier with the reason."""
    bin_ = (bin_ or "").strip()
    _check_shape(bin_, "BIN")
    month = int(bin_[2:4])
    if not 1 <= month <= 12:
        raise InvalidIdentifier("BIN must start with the registration year and month (YYMM)")
    if bin_[4] not in "456":
        raise InvalidIdentifier("BIN's 5th digit (kind of entity) must be 4, 5 or 6")
    return bin_


def iin_make(birth: dt.date, sex: str, serial: int) -> str | None:
    """Build a valid IIN from its parts, or None if this serial has no valid check digit."""
    base = 3 if birth.year < 2000 else 5
    if birth.year < 1900:
        base = 1
    century_sex = base + (0 if sex == "M" else 1)
    first11 = f"{birth:%y%m%d}{century_sex}{serial:04d}"
    digit = check_digit(first11)
    return None if digit is None else first11 + str(digit)


def bin_make(registered: dt.date, kind: int, attribute: int, serial: int) -> str | None:
    first11 = f"{registered:%y%m}{kind}{attribute}{serial:05d}"
    digit = check_digit(first11)
    return None if digit is None else first11 + str(digit)


def bin_demo(seed: str) -> str:
    """A valid BIN (a legal entity registered 2010-01-01) whose serial comes from `seed`'s hash:
    the same organisation gets the same number on every demo load."""
    serial = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 90000 + 10000
    while True:
        candidate = bin_make(dt.date(2010, 1, 1), 4, 1, serial)
        if candidate is not None:
            return candidate
        serial = (serial + 1) % 100000
