"""The sandbox acquirer's hosted card page, over real HTTP against the real process: every test
card, the 3-D Secure challenge, the timeout, field errors, the payer's language, a double
submission and cancelling. (The browser test of the whole journey is elsewhere.)"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.payments.sandbox_support import (
    card_fields,
    pay,
    payment_new,
    payment_state,
)

# The sandbox process and webhook receiver fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]


def _returned_to(response: httpx.Response, payment_id: str) -> None:
    """The page sent the payer back to the service's return_url, naming the payment."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        "https://portal.example/pay/return"
    )
    assert parse_qs(location.query) == {"attempt": ["7"], "payment": [payment_id]}


@pytest.mark.parametrize(
    ("card", "state", "failure_code"),
    [
        ("4000 0000 0000 0002", "succeeded", ""),
        ("4000000000000010", "declined", "insufficient_funds"),
        ("4000-0000-0000-0036", "succeeded", ""),
        ("4242 4242 4242 4242", "declined", "card_declined"),  # any other Luhn-valid number
    ],
)
def test_card_decides_the_payment_and_returns_the_payer(sandbox, card, state, failure_code):
    payment = payment_new(sandbox)
    assert payment["state"] == "pending"
    response = pay(payment["next_url"], card)
    _returned_to(response, payment["id"])
    decided = payment_state(sandbox, payment["id"])
    assert decided["state"] == state
    assert decided["failure_code"] == failure_code
    assert decided["decided_at"]
    # The page now tells the outcome and offers the way back; no second form.
    page = httpx.get(payment["next_url"]).text
    assert 'name="card_number"' not in page
    assert "Қызметке оралу" in page


def test_3d_secure_right_code_succeeds(sandbox):
    payment = payment_new(sandbox)
    with httpx.Client() as browser:
        first = browser.post(payment["next_url"], data=card_fields("4000000000003220"))
        assert first.status_code == 303
        assert first.headers["Location"] == f"/pay/{payment['id']}"
        challenge = browser.get(payment["next_url"])
        assert "Төлемді банкте растаңыз" in challenge.text
        assert 'name="code"' in challenge.text and 'autocomplete="one-time-code"' in challenge.text
        assert payment_state(sandbox, payment["id"])["state"] == "pending"
        _returned_to(browser.post(payment["next_url"], data={"code": "123456"}), payment["id"])
    assert payment_state(sandbox, payment["id"])["state"] == "succeeded"


def test_3d_secure_wrong_code_declines_and_empty_code_is_a_field_error(sandbox):
    payment = payment_new(sandbox, language="en")
    with httpx.Client() as browser:
        browser.post(payment["next_url"], data=card_fields("4000000000003220"))
        empty = browser.post(payment["next_url"], data={"code": " "})
        assert empty.status_code == 422
        assert 'href="#code">Enter the one-time code<' in empty.text
        assert 'aria-invalid="true"' in empty.text
        assert payment_state(sandbox, payment["id"])["state"] == "pending"
        _returned_to(browser.post(payment["next_url"], data={"code": "654321"}), payment["id"])
    decided = payment_state(sandbox, payment["id"])
    assert (decided["state"], decided["failure_code"]) == ("declined", "authentication_failed")


def test_timeout_card_stays_pending_then_expires(sandbox_factory, webhook_sink):
    sandbox = sandbox_factory("--page-timeout", "2")
    payment = payment_new(sandbox, webhook_sink, language="ru")
    response = pay(payment["next_url"], "4000000000000028")
    assert response.status_code == 303 and response.headers["Location"] == f"/pay/{payment['id']}"
    page = httpx.get(payment["next_url"]).text
    assert "Платёж обрабатывается" in page and "Не платите повторно" in page
    assert payment_state(sandbox, payment["id"])["state"] == "pending"
    time.sleep(2.2)
    expired = payment_state(sandbox, payment["id"])
    assert (expired["state"], expired["failure_code"]) == ("expired", "expired")
    hooks = webhook_sink.wait_for(payment["id"])
    assert [h["event"]["type"] for h in hooks] == ["payment.expired"]
    assert "Төлем" not in httpx.get(payment["next_url"]).text  # Russian page
    assert "Время на оплату истекло" in httpx.get(payment["next_url"]).text


def test_invalid_card_number_is_a_field_error_naming_the_field(sandbox):
    payment = payment_new(sandbox, language="en")
    response = pay(payment["next_url"], "4000 0000 0000 0003", expiry="13/20", cvc="12", name=" ")
    assert response.status_code == 422
    page = response.text
    assert "There is a problem" in page
    for field, message in [
        ("card_number", "Card number is not valid: check the digits"),
        ("expiry", "Enter the expiry date as month and year, for example 08/29"),
        ("cvc", "Enter the security code: 3 or 4 digits"),
        ("name", "Enter the name on the card"),
    ]:
        assert f'<a href="#{field}">{message}</a>' in page  # the summary links to the field
        assert f'id="{field}-error"' in page
    assert 'value="4000 0000 0000 0003"' in page  # the payer's entry kept to correct it
    assert 'value="12"' not in page  # never the security code
    assert payment_state(sandbox, payment["id"])["state"] == "pending"


def test_expired_card_is_a_field_error(sandbox):
    payment = payment_new(sandbox, language="en")
    response = pay(payment["next_url"], "4000000000000002", expiry="01/20")
    assert response.status_code == 422
    assert "this card has expired" in response.text
    assert payment_state(sandbox, payment["id"])["state"] == "pending"


@pytest.mark.parametrize(
    ("language", "heading", "label", "amount"),
    [
        ("kk", "Картамен төлеу", "Карта нөмірі", "1\u00a0725\u00a0₸"),
        ("ru", "Оплата картой", "Номер карты", "1\u00a0725\u00a0₸"),
        ("en", "Pay by card", "Card number", "1,725\u00a0₸"),
    ],
)
def test_page_is_in_the_payers_language_and_accessible(sandbox, language, heading, label, amount):
    payment = payment_new(sandbox, language=language, description="Fee 42")
    response = httpx.get(payment["next_url"])
    assert response.status_code == 200
    page = response.text
    assert f'<html lang="{language}">' in page
    assert page.count("<h1>") == 1 and f"<h1>{heading}</h1>" in page
    assert f'<label for="card_number">{label}</label>' in page
    for field in ("card_number", "expiry", "cvc", "name"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert amount in page and "Fee 42" in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "<script" not in page  # works without JavaScript
    # The test cards in a clear box of their own.
    assert 'class="test-cards"' in page
    for number in (
        "4000 0000 0000 0002",
        "4000 0000 0000 0010",
        "4000 0000 0000 3220",
        "4000 0000 0000 0028",
        "4000 0000 0000 0036",
    ):
        assert number in page
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_second_submission_never_charges_twice(sandbox, webhook_sink):
    payment = payment_new(sandbox, webhook_sink)
    assert pay(payment["next_url"], "4000000000000002").status_code == 303
    again = httpx.post(payment["next_url"], data=card_fields("4000000000000010"))
    assert again.status_code == 303 and again.headers["Location"] == f"/pay/{payment['id']}"
    assert payment_state(sandbox, payment["id"])["state"] == "succeeded"
    webhook_sink.wait_for(payment["id"])
    time.sleep(0.5)
    assert len(webhook_sink.accepted(payment["id"])) == 1


def test_cancel_declines_as_cancelled(sandbox):
    payment = payment_new(sandbox)
    response = httpx.post(f"{payment['next_url']}/cancel")
    _returned_to(response, payment["id"])
    decided = payment_state(sandbox, payment["id"])
    assert (decided["state"], decided["failure_code"]) == ("declined", "cancelled")


def test_unknown_payment_page_is_404_in_three_languages(sandbox):
    response = httpx.get(f"{sandbox.url}/pay/pay_nope")
    assert response.status_code == 404
    assert "Төлем табылмады" in response.text and "Payment not found" in response.text
