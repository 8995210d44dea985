"""Polling asks only what can answer: an acquirer with a hosted page is polled for a lost
webhook, while an invoice to pay at a bank (pay by reference) answers "pending" until the bank
statement settles it, so its attempt is given no poll time and the sweep never asks about it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from qyzmet.payments import services
from qyzmet.payments.models import PaymentAttempt
from tests.payments.engine_world import require, start

pytestmark = pytest.mark.django_db


def _invoice(payment) -> PaymentAttempt:
    return services.attempt_start(
        actor=None, payment_public_id=payment.public_id, provider="reference",
        idempotency_key=uuid.uuid4().hex, return_url="https://portal.test/back",
    )  # fmt: skip


def test_an_invoice_attempt_has_no_poll_time_and_the_sweep_skips_it(provider):
    hosted = start(require())
    invoice = _invoice(require())
    assert invoice.state == PaymentAttempt.PENDING and invoice.next_url == ""
    assert invoice.poll_at is None
    assert hosted.poll_at is not None
    # Much later, only the card attempt is asked about.
    later = timezone.now() + dt.timedelta(hours=5)
    assert services.attempts_poll_due(now=later) == {"pending": 1}
    invoice.refresh_from_db()
    assert (invoice.polls, invoice.poll_at, invoice.state) == (0, None, PaymentAttempt.PENDING)
    hosted.refresh_from_db()
    assert hosted.polls == 1 and hosted.poll_at > later


def test_an_invoice_attempt_polled_before_is_dropped_from_the_sweep_not_asked(provider):
    """An invoice attempt made before polls were limited to hosted providers still has a poll
    time: the sweep clears it without asking, and the next sweep does not see it at all."""
    invoice = _invoice(require())
    past = timezone.now() - dt.timedelta(minutes=1)
    PaymentAttempt.objects.filter(pk=invoice.pk).update(poll_at=past)
    assert services.attempts_poll_due() == {"not_polled": 1}
    invoice.refresh_from_db()
    assert (invoice.polls, invoice.poll_at) == (0, None)
    assert services.attempts_poll_due(now=timezone.now() + dt.timedelta(days=1)) == {}


def test_asking_about_an_invoice_once_does_not_put_it_into_the_sweep(provider):
    """The citizen's "check again" asks any attempt once; an invoice that answers "pending" is
    not given a poll time by that (hosted attempts are, with backoff)."""
    invoice = _invoice(require())
    hosted = start(require())
    for attempt in (invoice, hosted):
        assert services.attempt_refresh(attempt_id=attempt.pk).state == PaymentAttempt.PENDING
    invoice.refresh_from_db()
    hosted.refresh_from_db()
    assert (invoice.polls, invoice.poll_at) == (1, None)
    assert hosted.polls == 1 and hosted.poll_at is not None
