"""IIN and BIN check digits: the two-pass modulo-11 rule and the date/kind parts."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from qyzmet.countries.kz.identifiers import (
    InvalidIdentifier,
    bin_make,
    bin_validate,
    check_digit,
    iin_make,
    iin_validate,
)

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def passes(first11: str) -> tuple[int, int]:
    digits = [int(c) for c in first11]
    return (
        sum(d * w for d, w in zip(digits, W1, strict=True)) % 11,
        sum(d * w for d, w in zip(digits, W2, strict=True)) % 11,
    )


def valid_iins(n: int = 20) -> list[str]:
    out = []
    for serial in itertools.count(1):
        iin = iin_make(
            dt.date(1985, 11, 3) + dt.timedelta(days=serial * 37), "MF"[serial % 2], serial
        )
        if iin:
            out.append(iin)
        if len(out) == n:
            return out
    raise AssertionError


def rejected(iin: str) -> bool:
    try:
        iin_validate(iin)
    except InvalidIdentifier:
        return True
    return False


def test_valid_iins_pass():
    for iin in valid_iins():
        assert iin_validate(iin) == iin
    # By hand: 9·1+0·2+0·3+5·4+1·5+7·6+3·7+0·8+0·9+0·10+1·11 = 108 ≡ 9 (mod 11).
    assert iin_validate("900517300019") == "900517300019"


def single_digit_changes(number: str):
    for position in range(12):
        for digit in "0123456789":
            if digit != number[position]:
                yield position, number[:position] + digit + number[position + 1 :]


def test_every_single_digit_change_is_rejected():
    """Any single mistyped digit is caught, with exactly the exceptions the published two-pass
    rule has: the 11th digit (weight 11 ≡ 0 in pass one) and changes that move pass one to or
    from 10, where pass two may by chance give the old check digit (about 1 change in 100)."""
    escaped, total = 0, 0
    for iin in valid_iins(200):
        for position, changed in single_digit_changes(iin):
            if position == 10:
                continue
            total += 1
            if rejected(changed):
                continue
            escaped += 1
            assert 10 in (passes(iin[:11])[0], passes(changed[:11])[0]), (iin, changed)
    assert total > 10000
    assert escaped / total < 0.02


def test_single_digit_change_rejected_whenever_pass_one_decides():
    for iin in valid_iins(50):
        if passes(iin[:11])[0] == 10:
            continue
        for position, changed in single_digit_changes(iin):
            if position != 10 and passes(changed[:11])[0] != 10:
                assert rejected(changed), (iin, changed)


def test_eleventh_digit_is_the_algorithms_blind_spot():
    """Weight 11 ≡ 0 (mod 11): pass one cannot see the 11th digit. This pins down that we
    implement the published rule as it is, rather than silently 'improving' it."""
    iin = next(i for i in valid_iins() if passes(i[:11])[0] != 10)
    changes = [iin[:10] + d + iin[11] for d in "0123456789" if d != iin[10]]
    accepted = [c for c in changes if passes(c[:11])[0] != 10]
    assert accepted and all(not rejected(c) for c in accepted)


def _find(predicate) -> str:
    for serial in range(10000):
        first11 = f"850314{3}{serial:04d}"
        if predicate(*passes(first11)):
            return first11
    raise AssertionError("not found")


def test_second_pass_decides_when_first_gives_ten():
    first11 = _find(lambda p1, p2: p1 == 10 and p2 != 10)
    digit = passes(first11)[1]
    assert check_digit(first11) == digit
    assert iin_validate(first11 + str(digit))
    wrong = (digit + 1) % 10
    with pytest.raises(InvalidIdentifier, match="check digit is wrong"):
        iin_validate(first11 + str(wrong))


def test_number_whose_both_passes_give_ten_is_rejected():
    first11 = _find(lambda p1, p2: p1 == 10 and p2 == 10)
    assert check_digit(first11) is None
    for digit in "0123456789":
        with pytest.raises(InvalidIdentifier, match="cannot be issued"):
            iin_validate(first11 + digit)


@pytest.mark.parametrize("first11", ["90133130001", "90023030001", "00000030001"])
def test_invalid_birth_date_rejected_even_with_right_check_digit(first11):
    digit = check_digit(first11)
    assert digit is not None  # the sample must have a check digit, so only the date is wrong
    with pytest.raises(InvalidIdentifier, match="birth date"):
        iin_validate(first11 + str(digit))


def test_seventh_digit_must_be_century_and_sex():
    first11 = "90051770001"
    digit = check_digit(first11)
    assert digit is not None
    with pytest.raises(InvalidIdentifier, match="7th digit"):
        iin_validate(first11 + str(digit))


@pytest.mark.parametrize("bad", ["", "12345", "1234567890123", "12345678901a"])
def test_not_twelve_digits(bad):
    with pytest.raises(InvalidIdentifier, match="12 digits"):
        iin_validate(bad)


def valid_bins(n: int = 10) -> list[str]:
    out = []
    for serial in itertools.count(1):
        bin_ = bin_make(dt.date(2004, 1 + serial % 12, 1), 4 + serial % 3, serial % 4, serial)
        if bin_:
            out.append(bin_)
        if len(out) == n:
            return out
    raise AssertionError


def bin_rejected(bin_: str) -> bool:
    try:
        bin_validate(bin_)
    except InvalidIdentifier:
        return True
    return False


def test_bin_valid_and_single_digit_changes_rejected():
    for bin_ in valid_bins():
        assert bin_validate(bin_) == bin_
        for position, changed in single_digit_changes(bin_):
            if position == 10 or 10 in (passes(bin_[:11])[0], passes(changed[:11])[0]):
                continue  # the rule's known blind spots, see the IIN test above
            assert bin_rejected(changed), (bin_, changed)


def test_bin_month_and_kind_checked():
    first11 = "04134100001"  # month 13
    digit = check_digit(first11)
    assert digit is not None
    with pytest.raises(InvalidIdentifier, match="YYMM"):
        bin_validate(first11 + str(digit))
    first11 = "04017100001"  # kind 7
    digit = check_digit(first11)
    assert digit is not None
    with pytest.raises(InvalidIdentifier, match="5th digit"):
        bin_validate(first11 + str(digit))


def test_bin_first_pass_ten_second_decides():
    for serial in range(100000):
        first11 = f"0403410{serial:04d}"
        p1, p2 = passes(first11)
        if p1 == 10 and p2 != 10:
            break
    assert bin_validate(first11 + str(p2))
    with pytest.raises(InvalidIdentifier):
        bin_validate(first11 + str((p2 + 3) % 10))
