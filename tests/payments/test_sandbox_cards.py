"""The sandbox's test cards and card form checks (pure functions, no process needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from qyzmet.payments.sandbox import cards

TODAY = dt.date(2026, 12, 4)


@pytest.mark.parametrize("number", sorted(cards.TEST_CARDS))
def test_every_test_card_passes_the_luhn_check(number):
    assert cards.luhn_valid(number)


@pytest.mark.parametrize(
    "number", ["4000000000000003", "1234", "40000000000000021234", "4000x00000000002", ""]
)
def test_mistyped_numbers_fail_the_luhn_check(number):
    assert not cards.luhn_valid(number)


def test_outcomes_of_the_test_cards_and_any_other():
    assert cards.card_outcome("4000000000000002") == cards.SUCCEED
    assert cards.card_outcome("4000000000000010") == cards.DECLINE_FUNDS
    assert cards.card_outcome("4000000000003220") == cards.CHALLENGE
    assert cards.card_outcome("4000000000000028") == cards.TIMEOUT
    assert cards.card_outcome("4000000000000036") == cards.SUCCEED_NO_WEBHOOK
    assert cards.card_outcome("5555555555554444") == cards.DECLINE


def test_form_accepts_spaces_dashes_and_both_year_forms():
    for expiry in ("12/26", "12 / 2026", "1/27"):
        form = cards.card_form_check(
            {
                "card_number": "4000 0000-0000 0002",
                "expiry": expiry,
                "cvc": "1234",
                "name": "  Aigerim   Test ",
            },
            today=TODAY,
        )
        assert form.errors == {}, expiry
        assert form.number == "4000000000000002" and form.name == "Aigerim Test"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        (
            {},
            {
                "card_number": "err_card_required",
                "expiry": "err_expiry_format",
                "cvc": "err_cvc",
                "name": "err_name",
            },
        ),
        (
            {"card_number": "4000000000000003", "expiry": "11/26", "cvc": "12a", "name": "A"},
            {"card_number": "err_card_invalid", "expiry": "err_expiry_past", "cvc": "err_cvc"},
        ),
        (
            {"card_number": "4000000000000002", "expiry": "00/30", "cvc": "123", "name": "A"},
            {"expiry": "err_expiry_format"},
        ),
    ],
)
def test_form_names_each_problem_on_its_field(fields, errors):
    assert cards.card_form_check(fields, today=TODAY).errors == errors
