"""Refunds: partial or full, never more than paid; four eyes above the threshold (the one who
asked cannot approve); permissions count only in the payment's agency; every step audited."""

from __future__ import annotations

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.payments import services
from qyzmet.payments.models import Payment, Refund
from tests.payments.engine_world import AGENCY, require, start, topics
from tests.portal.factories import officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def paid(provider, amount: int) -> Payment:
    payment = require(amount=amount)
    attempt = start(payment)
    provider.pay(attempt.provider_ref)
    services.attempt_refresh(attempt_id=attempt.pk)
    payment.refresh_from_db()
    assert payment.state == Payment.PAID
    return payment


def refund(payment, amount, *, actor=None, key=None, reason="Application refused"):
    return services.refund_request(
        actor=actor,
        payment_public_id=payment.public_id,
        amount=amount,
        reason=reason,
        idempotency_key=key or f"r-{payment.pk}-{amount}-{getattr(actor, 'pk', 0)}",
    )


def test_partial_refunds_add_up_and_never_exceed_what_was_paid(provider, commit):
    payment = paid(provider, 1_000_000)
    first = commit(refund, payment, 400_000)
    first.refresh_from_db()
    assert first.state == Refund.SUCCEEDED and first.kind == Refund.FEE
    payment.refresh_from_db()
    assert (payment.state, payment.amount_refunded) == (Payment.PARTIALLY_REFUNDED, 400_000)
    with pytest.raises(Problem) as caught:
        commit(refund, payment, 600_001)
    assert caught.value.code == "refund_above_paid" and caught.value.extra["refundable"] == 600_000
    second = commit(refund, payment, 600_000)
    second.refresh_from_db()
    assert second.state == Refund.SUCCEEDED
    payment.refresh_from_db()
    assert (payment.state, payment.amount_refunded) == (Payment.REFUNDED, 1_000_000)
    with pytest.raises(Problem) as caught:
        commit(refund, payment, 1)
    assert caught.value.status == 409
    refunded = [
        e.payload
        for e in OutboxEvent.objects.filter(topic="payment.refunded").order_by("created_at", "id")
    ]
    assert [(p["refund_amount"], p["amount_refunded"]) for p in refunded] == [
        (400_000, 400_000),
        (600_000, 1_000_000),
    ]
    assert sum(r["amount"] for r in provider.ledger.refunds.values()) == 1_000_000
    assert AuditEntry.objects.filter(action="payment.refund_request").count() == 2


def test_the_same_refund_key_is_the_same_refund(provider, commit):
    payment = paid(provider, 1_000_000)
    one = commit(refund, payment, 100_000, key="same")
    two = commit(refund, payment, 100_000, key="same")
    assert one.pk == two.pk and Refund.objects.count() == 1 and provider.ledger.refund_calls == 1
    with pytest.raises(Problem) as caught:
        commit(refund, payment, 200_000, key="same")
    assert caught.value.code == "idempotency_key_reused"


def test_four_eyes_above_the_threshold(provider, commit, settings):
    settings.QYZMET_REFUND_FOUR_EYES_TIYN = 5_000_000
    payment = paid(provider, 6_000_000)
    asker = officer(AGENCY, role="finance_officer")
    big = commit(refund, payment, 6_000_000, actor=asker)
    assert big.state == Refund.AWAITING_APPROVAL and provider.ledger.refund_calls == 0
    # Meanwhile nothing more can be asked than what is left after it.
    with pytest.raises(Problem):
        commit(refund, payment, 1, actor=asker)
    with pytest.raises(Problem) as caught:
        commit(services.refund_approve, actor=asker, refund_public_id=big.public_id)
    assert (caught.value.status, caught.value.code) == (403, "refund_four_eyes")
    assert "another officer" in caught.value.detail
    plain_officer = officer(AGENCY, role="officer")  # may ask, may not approve
    with pytest.raises(Problem) as caught:
        commit(services.refund_approve, actor=plain_officer, refund_public_id=big.public_id)
    assert caught.value.status == 403
    head = officer(AGENCY, role="head")
    approved = commit(services.refund_approve, actor=head, refund_public_id=big.public_id)
    approved.refresh_from_db()
    assert approved.state == Refund.SUCCEEDED and approved.approved_by_id == head.pk
    assert approved.requested_by_id == asker.pk
    payment.refresh_from_db()
    assert payment.state == Payment.REFUNDED
    actions = list(
        AuditEntry.objects.filter(object_type="payment", object_id=str(payment.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"payment.refund_request", "payment.refund_approve", "payment.refund_result"} <= set(
        actions
    )


def test_the_platform_refunds_up_to_the_threshold_and_asks_an_officer_above(
    provider, commit, settings
):
    settings.QYZMET_REFUND_FOUR_EYES_TIYN = 500_000
    payment = paid(provider, 1_000_000)
    small = commit(refund, payment, 500_000)
    small.refresh_from_db()
    assert small.state == Refund.SUCCEEDED and small.requested_by_id is None
    large = paid(provider, 1_000_000)
    waiting = commit(refund, large, 1_000_000)
    assert waiting.state == Refund.AWAITING_APPROVAL
    head = officer(AGENCY, role="head")
    rejected = commit(
        services.refund_reject,
        actor=head,
        refund_public_id=waiting.public_id,
        note="The application was approved on appeal",
    )
    assert rejected.state == Refund.REJECTED and rejected.decision_note
    with pytest.raises(Problem) as caught:
        commit(services.refund_approve, actor=head, refund_public_id=waiting.public_id)
    assert caught.value.status == 409
    large.refresh_from_db()
    assert large.state == Payment.PAID and large.amount_refunded == 0


def test_an_officer_of_another_agency_or_a_citizen_cannot_refund(provider, commit):
    payment = paid(provider, 1_000_000)
    for outsider in (officer("kz-other", role="head"), officer("kz-other", role="finance_officer")):
        with pytest.raises(Problem) as caught:
            commit(refund, payment, 100_000, actor=outsider)
        assert caught.value.status == 404
    from tests.identity.factories import UserFactory

    with pytest.raises(Problem) as caught:
        commit(refund, payment, 100_000, actor=UserFactory())
    assert caught.value.status == 404
    assert not Refund.objects.exists()


def test_a_refund_the_provider_cannot_reach_is_sent_again_by_the_sweep(provider, commit):
    from datetime import timedelta

    from django.utils import timezone

    payment = paid(provider, 1_000_000)
    provider.ledger.unavailable = True
    pending = commit(refund, payment, 300_000)
    assert pending.state == Refund.PENDING
    provider.ledger.unavailable = False
    counts = commit(services.attempts_poll_due, now=timezone.now() + timedelta(minutes=5))
    assert counts["refunds_resent"] == 1
    pending.refresh_from_db()
    assert pending.state == Refund.SUCCEEDED
    assert "payment.refunded" in topics(payment)
