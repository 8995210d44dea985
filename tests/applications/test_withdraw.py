"""Withdrawing by the applicant, where the service's workflow allows it: an application still
waiting for its fee ends `withdrawn` and its payment is cancelled (money arriving later is
returned by the engine's double-payment rule); one in the workflow ends `withdrawn` and a paid
fee is refunded by the service's rule. Each with its history row, audit row and a notification
in the citizen's language saying what became of the fee."""

from __future__ import annotations

import pytest
from django.utils import timezone

from qyzmet.applications import services
from qyzmet.applications.models import Application
from qyzmet.applications.selectors import (
    FEE_CANCELLED,
    FEE_NONE,
    FEE_REFUNDED,
    application_history,
    application_payment,
    available_actions,
    withdrawal_fee,
)
from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.notifications.models import Notification
from qyzmet.payments.models import Payment, Refund
from qyzmet.payments.services import payment_record_success
from tests.portal.factories import catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

PASSPORT_DATA = {
    "reason": "expired",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}
FULL_FEE = 4 * 4325 * 100


@pytest.fixture
def clerk(db):
    catalog_loaded()
    return officer("kz-mvd-migration")


def _apply(user, commit, *, language: str = "ru") -> Application:
    user.language = language
    user.save(update_fields=["language"])
    with commit(execute=True):
        application, _ = services.application_submit(
            actor=user, service_code="kz.passport", data=dict(PASSPORT_DATA), language=language
        )
    application.refresh_from_db()
    return application


def _pay(application, commit=None, *, ref: str = "line-1") -> None:
    payment = application_payment(application=application)

    def run():
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref=ref,
        )  # fmt: skip

    if commit is None:
        run()
    else:
        with commit(execute=True):
            run()


def _withdrawn_event(application) -> dict:
    return OutboxEvent.objects.get(
        topic="application.withdrawn", payload__application_id=application.pk
    ).payload


def test_an_application_waiting_for_its_fee_is_withdrawn_and_its_payment_cancelled(
    clerk, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    me = citizen()
    application = _apply(me, commit)
    assert application.state == Application.AWAITING_PAYMENT
    assert available_actions(user=me, application=application) == ["withdraw"]
    assert available_actions(user=clerk, application=application) == []
    assert withdrawal_fee(application=application).kind == FEE_CANCELLED
    with commit(execute=True):
        services.application_act(actor=me, application_id=application.pk, action="withdraw")
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("withdrawn", "withdrawn")
    assert not application.is_open and application.decided_at is not None
    payment = application_payment(application=application)
    assert payment.state == Payment.CANCELLED and payment.refunds == ()
    last = application_history(application_id=application.pk)[-1]
    assert (last.action, last.from_state, last.to_state, last.actor_role) == (
        "withdraw", Application.AWAITING_PAYMENT, "withdrawn", "applicant",
    )  # fmt: skip
    audit = AuditEntry.objects.get(action="application.withdraw", object_id=str(application.pk))
    assert audit.actor_id == me.pk and audit.data["fee"] == FEE_CANCELLED
    assert _withdrawn_event(application)["fee"] == FEE_CANCELLED
    told = Notification.objects.filter(user=me, dedup_key__contains=":withdrawn:").first()
    assert told is not None
    assert application.number in told.body
    assert "отозвана" in told.body and "возвращать нечего" in told.body
    # The citizen pays the cancelled invoice at a bank anyway: the money goes back by itself.
    _pay(application, commit)
    payment = application_payment(application=application)
    assert payment.state == Payment.CANCELLED
    assert [(r.amount, r.kind) for r in payment.refunds] == [(FULL_FEE, Refund.DOUBLE)]
    application.refresh_from_db()
    assert application.state == "withdrawn"


def test_only_the_applicant_withdraws_and_only_by_the_withdraw_action(
    clerk, django_capture_on_commit_callbacks
):
    me, other = citizen(), citizen()
    application = _apply(me, django_capture_on_commit_callbacks)
    for who, status in ((other, 404), (clerk, 404)):
        with pytest.raises(Problem) as exc:
            services.application_act(actor=who, application_id=application.pk, action="withdraw")
        assert exc.value.status == status
    with pytest.raises(Problem) as exc:
        services.application_act(actor=me, application_id=application.pk, action="take")
    assert exc.value.status == 409
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT
    assert application_payment(application=application).state == Payment.AWAITING


def test_a_fee_that_arrived_meanwhile_stops_the_withdrawal(
    clerk, django_capture_on_commit_callbacks
):
    """The money arrived, but the application has not started yet (its event is still to be
    handled): withdrawing now would leave a paid fee behind an application the citizen was
    told had nothing to refund, so it is refused (409) and nothing changes."""
    me = citizen()
    application = _apply(me, django_capture_on_commit_callbacks)
    _pay(application)  # no commit: payment.succeeded is not handled yet
    with pytest.raises(Problem) as exc:
        services.application_act(actor=me, application_id=application.pk, action="withdraw")
    assert (exc.value.status, exc.value.code) == (409, "fee_just_paid")
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT
    assert application_payment(application=application).state == Payment.PAID


def test_a_paid_application_withdrawn_in_the_workflow_is_refunded_and_the_citizen_told(
    clerk, django_capture_on_commit_callbacks
):
    commit = django_capture_on_commit_callbacks
    me = citizen()
    application = _apply(me, commit, language="en")
    _pay(application, commit)
    application.refresh_from_db()
    assert application.state == "submitted"
    fee = withdrawal_fee(application=application)
    assert (fee.kind, fee.amount) == (FEE_REFUNDED, FULL_FEE)
    with commit(execute=True):
        services.application_act(actor=me, application_id=application.pk, action="withdraw")
    event = _withdrawn_event(application)
    assert (event["fee"], event["fee_amount"]) == (FEE_REFUNDED, FULL_FEE)
    assert [r.amount for r in application_payment(application=application).refunds] == [FULL_FEE]
    told = Notification.objects.filter(user=me, dedup_key__contains=":withdrawn:").first()
    assert told is not None
    assert "was withdrawn" in told.body
    assert "17,300 ₸, is refunded to you in full" in told.body.replace("\u00a0", " ")
    # Nothing is left to refund afterwards.
    application.refresh_from_db()
    assert withdrawal_fee(application=application).kind in (FEE_NONE, FEE_REFUNDED)


def test_the_api_withdraws_an_application_waiting_for_its_fee(
    clerk, client, django_capture_on_commit_callbacks
):
    me = citizen()
    application = _apply(me, django_capture_on_commit_callbacks)
    client.force_login(me)
    shown = client.get(f"/api/v1/applications/{application.pk}").json()
    assert shown["actions"] == ["withdraw"]
    response = client.post(f"/api/v1/applications/{application.pk}/actions/withdraw", {},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn" and response.json()["actions"] == []
    assert response.json()["payment"]["state"] == "cancelled"
