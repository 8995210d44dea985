"""The engine and the sandbox acquirer together, over real HTTP both ways: the platform starts
an attempt (the plug-in calls the process), the payer pays on the hosted page, the process posts
its signed webhook to the platform's live endpoint and the payment is paid; a lost webhook is
recovered by asking the acquirer."""

from __future__ import annotations

import time
import uuid

import pytest

from qyzmet.payments import services
from qyzmet.payments.models import Payment, PaymentAttempt
from tests.payments.sandbox_support import SECRET, pay

# The sandbox process fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(settings, live_server, sandbox):
    settings.QYZMET_PUBLIC_BASE_URL = live_server.url
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": sandbox.url, "secret": SECRET, "timeout": 5}
    }
    return live_server


def _attempt(language: str = "en") -> PaymentAttempt:
    payment = services.payment_require(
        source_ref=f"application:{uuid.uuid4()}",
        payer_id=7,
        payer_iin="900517300017",
        agency_code="moj",
        service_code="passport",
        description={"kk": "Төлқұжат", "ru": "Паспорт", "en": "Passport"},
        language=language,
        amount=1_730_000,
    )
    return services.attempt_start(
        actor=None,
        payment_public_id=payment.public_id,
        provider="sandbox",
        idempotency_key=f"attempt-{uuid.uuid4()}",
        return_url="http://127.0.0.1:8000/back/",
    )


def _wait_state(payment_id: int, state: str, timeout: float = 20.0) -> Payment:
    deadline = time.monotonic() + timeout
    while True:
        payment = Payment.objects.get(pk=payment_id)
        if payment.state == state or time.monotonic() > deadline:
            return payment
        time.sleep(0.2)


def _webhooks_done(sandbox, timeout: float = 20.0) -> None:
    """Until the acquirer has no webhook left to send: each was answered, so the live server's
    request (and the work it does after commit, e.g. the receipt) is over before the test's
    database is flushed."""
    deadline = time.monotonic() + timeout
    while sandbox.control_state()["webhooks"].get("queued") and time.monotonic() < deadline:
        time.sleep(0.2)


def test_paid_on_the_hosted_page_and_told_by_the_signed_webhook(platform, sandbox):
    attempt = _attempt()
    assert attempt.state == PaymentAttempt.PENDING
    assert attempt.next_url.startswith(f"{sandbox.url}/pay/")
    page = pay(attempt.next_url, "4000000000000002")
    assert page.status_code == 303
    payment = _wait_state(attempt.payment_id, Payment.PAID)
    assert payment.state == Payment.PAID and payment.amount_paid == 1_730_000
    attempt.refresh_from_db()
    assert attempt.state == PaymentAttempt.SUCCEEDED
    _webhooks_done(sandbox)


def test_declined_card_declines_the_attempt_and_the_payment_waits(platform, sandbox):
    attempt = _attempt()
    pay(attempt.next_url, "4000000000000010")
    deadline = time.monotonic() + 20
    while attempt.state == PaymentAttempt.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        attempt.refresh_from_db()
    assert (attempt.state, attempt.failure_code) == ("declined", "insufficient_funds")
    assert Payment.objects.get(pk=attempt.payment_id).state == Payment.AWAITING
    _webhooks_done(sandbox)


def test_lost_webhook_recovered_by_asking_the_acquirer(platform, sandbox):
    attempt = _attempt()
    pay(attempt.next_url, "4000000000000036")  # succeeds, webhook never sent
    time.sleep(1.0)
    assert Payment.objects.get(pk=attempt.payment_id).state == Payment.AWAITING
    services.attempt_refresh(attempt_id=attempt.pk)
    assert Payment.objects.get(pk=attempt.payment_id).state == Payment.PAID
