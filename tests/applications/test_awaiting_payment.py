"""The fee step: a fee-bearing application waits for its payment outside the workflow, enters it
when paid (the legal deadline from the day paid), lapses unpaid, and gets its fee back when the
service's rule says so; a free or exempt one goes straight in. Through the real services and
events: the payments context's own services record the money and expire the payment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qyzmet.applications import services
from qyzmet.applications.models import Application
from qyzmet.applications.selectors import (
    application_history,
    application_payment,
    inbox_list,
)
from qyzmet.audit.models import AuditEntry
from qyzmet.core.calendar import calendar_default
from qyzmet.core.problem import Problem
from qyzmet.notifications.models import Notification
from qyzmet.payments.models import Payment
from qyzmet.payments.selectors import payment_for_source
from qyzmet.payments.services import payment_record_success, payments_expire_due
from tests.portal.factories import catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

PASSPORT = "kz.passport"
PASSPORT_DATA = {
    "reason": "expired",
    "previous_passport_number": "N12345678",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}
FULL_FEE = 4 * 4325 * 100  # 4 MCI in 2026, tiyn


@pytest.fixture
def world(db):
    catalog_loaded()
    return officer("kz-mvd-migration")


def _apply(user, capture, *, key: str | None = None, code: str = PASSPORT, data=None):
    with capture(execute=True):
        application, created = services.application_submit(
            actor=user,
            service_code=code,
            data=dict(data or PASSPORT_DATA),
            idempotency_key=key,
            language="ru",
        )
    application.refresh_from_db()
    return application, created


def _pay(application, capture, *, at: dt.datetime | None = None) -> None:
    payment = application_payment(application=application)
    with capture(execute=True):
        payment_record_success(
            payment_id=payment.id,
            provider="reference",
            amount=payment.amount,
            currency=payment.currency,
            at=at or timezone.now(),
            external_ref=f"statement-line-{application.pk}",
        )
    application.refresh_from_db()


def _ground_kwargs(application) -> dict[str, str]:
    """A refusal names one of the service's coded grounds when its version has them."""
    from qyzmet.applications.selectors import application_package

    grounds = application_package(application=application).grounds_for("refuse")
    return {"ground": grounds[0].code} if grounds else {}


def test_a_fee_bearing_application_waits_for_payment_outside_the_workflow(
    world, django_capture_on_commit_callbacks
):
    clerk = world
    me = citizen(birth_date=dt.date(1990, 3, 3), sex="F")
    application, created = _apply(me, django_capture_on_commit_callbacks)
    assert created
    assert application.state == Application.AWAITING_PAYMENT
    assert not application.is_open and application.due_date is None
    assert application.fee == {
        "amount": FULL_FEE,
        "currency": "KZT",
        "amount_before_exemption": FULL_FEE,
        "exemption": None,
    }
    payment = application_payment(application=application)
    assert payment is not None and str(payment.public_id) == str(application.payment_public_id)
    assert (payment.amount, payment.state, payment.source_ref) == (
        FULL_FEE,
        Payment.AWAITING,
        f"application:{application.pk}",
    )
    assert payment.description["ru"].endswith(application.number)
    # In no inbox; the agency's officer can neither open nor act on it.
    assert application.number not in [a.number for a in inbox_list(user=clerk).items]
    with pytest.raises(Problem) as exc:
        services.application_act(actor=clerk, application_id=application.pk, action="take")
    assert exc.value.status == 404
    # The citizen is told what to pay and by when, in their language.
    told = Notification.objects.filter(user=me, dedup_key__contains=":payment_due:").first()
    assert told is not None
    assert "17\u00a0300\u00a0₸" in told.body and application.number in told.body
    assert [h.to_state for h in application_history(application_id=application.pk)] == [
        Application.AWAITING_PAYMENT
    ]
    audit = AuditEntry.objects.get(action="application.submit", object_id=str(application.pk))
    assert audit.data["fee"]["amount"] == FULL_FEE
    assert audit.data["payment"] == str(payment.public_id)


def test_the_legal_deadline_counts_from_the_day_paid(world, django_capture_on_commit_callbacks):
    clerk = world
    me = citizen()
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    # Signed ten days ago, paid today: the fifteen working days start today.
    signed = timezone.now() - dt.timedelta(days=10)
    Application.objects.filter(pk=application.pk).update(submitted_at=signed)
    _pay(application, django_capture_on_commit_callbacks)
    calendar = calendar_default()
    today = timezone.localdate()
    assert application.state == "submitted" and application.is_open
    assert application.due_date == calendar.add_working_days(today, 15)
    assert application.due_date != calendar.add_working_days(timezone.localdate(signed), 15)
    assert application.paid_at is not None
    history = application_history(application_id=application.pk)
    assert [(h.action, h.from_state, h.to_state) for h in history][-1] == (
        "payment_received",
        Application.AWAITING_PAYMENT,
        "submitted",
    )
    assert application.number in [a.number for a in inbox_list(user=clerk).items]
    # A repeated success event (a duplicate webhook) changes nothing.
    paid_at = application.paid_at
    from qyzmet.applications.payment_step import application_payment_received

    later = timezone.now() + dt.timedelta(days=3)
    assert application_payment_received(source_ref=f"application:{application.pk}",
                                        paid_at=later) == "skipped"  # fmt: skip
    application.refresh_from_db()
    assert application.paid_at == paid_at
    assert application.due_date == calendar.add_working_days(today, 15)


def test_an_unpaid_application_lapses_and_the_citizen_is_told(
    world, django_capture_on_commit_callbacks
):
    me = citizen()
    me.language = "ru"
    me.save(update_fields=["language"])
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        counts = payments_expire_due(now=timezone.now() + dt.timedelta(hours=73))
    assert counts["expired"] == 1
    application.refresh_from_db()
    assert (application.state, application.outcome) == (Application.LAPSED, "lapsed")
    assert not application.is_open and application.decided_at is not None
    told = Notification.objects.filter(user=me, dedup_key__contains=":lapsed:").first()
    assert told is not None
    assert "не была оплачена в срок" in told.body and "подайте заявку заново" in told.body
    assert application_history(application_id=application.pk)[-1].action == "payment_expired"


def test_an_application_not_yet_expired_does_not_lapse(world, django_capture_on_commit_callbacks):
    me = citizen()
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        payments_expire_due(now=timezone.now() + dt.timedelta(hours=71))
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT


def test_a_refused_application_gets_its_fee_back(world, django_capture_on_commit_callbacks):
    clerk = world
    me = citizen()
    me.language = "ru"
    me.save(update_fields=["language"])
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    _pay(application, django_capture_on_commit_callbacks)
    services.application_act(actor=clerk, application_id=application.pk, action="take")
    with django_capture_on_commit_callbacks(execute=True):
        services.application_act(
            actor=clerk, application_id=application.pk, action="refuse",
            reason="Фотосурет анық емес.", **_ground_kwargs(application),
        )  # fmt: skip
    payment = application_payment(application=application)
    assert [(r.amount, r.requested_by_id) for r in payment.refunds] == [(FULL_FEE, None)]
    assert application.number in payment.refunds[0].reason
    assert "отказано" in payment.refunds[0].reason  # in the applicant's language


def test_a_withdrawal_before_the_decision_gets_the_fee_back(
    world, django_capture_on_commit_callbacks
):
    me = citizen()
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    _pay(application, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_act(actor=me, application_id=application.pk, action="withdraw")
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("withdrawn", "withdrawn")
    payment = application_payment(application=application)
    assert [r.amount for r in payment.refunds] == [FULL_FEE]


def test_an_approval_refunds_nothing(world, django_capture_on_commit_callbacks):
    me = citizen()
    head = officer("kz-mvd-migration", role="head")
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    _pay(application, django_capture_on_commit_callbacks)
    for action, who in (("take", world), ("propose", world), ("approve", head)):
        with django_capture_on_commit_callbacks(execute=True):
            services.application_act(actor=who, application_id=application.pk, action=action)
    assert application_payment(application=application).refunds == ()


def test_an_exempt_pensioner_pays_nothing_and_goes_straight_in(
    world, django_capture_on_commit_callbacks
):
    clerk = world
    me = citizen(birth_date=dt.date(1955, 1, 10), sex="M")
    application, _ = _apply(me, django_capture_on_commit_callbacks)
    assert application.state == "submitted" and application.is_open
    assert application.fee["amount"] == 0
    assert application.fee["amount_before_exemption"] == FULL_FEE
    assert application.fee["exemption"]["code"] == "pensioner"
    assert application.payment_public_id is None
    assert payment_for_source(source_ref=f"application:{application.pk}") is None
    assert application.due_date == calendar_default().add_working_days(timezone.localdate(), 15)
    assert application.number in [a.number for a in inbox_list(user=clerk).items]


def test_a_free_service_goes_straight_in(world, django_capture_on_commit_callbacks):
    me = citizen()
    application, _ = _apply(
        me, django_capture_on_commit_callbacks, code="kz.address-certificate",
        data={"purpose": "bank"},
    )  # fmt: skip
    assert application.state == "submitted"
    assert application.fee["amount"] == 0 and application.payment_public_id is None


def test_a_retried_submission_does_not_make_a_second_payment(
    world, django_capture_on_commit_callbacks
):
    me = citizen()
    first, created = _apply(me, django_capture_on_commit_callbacks, key="retry-1")
    again, created_again = _apply(me, django_capture_on_commit_callbacks, key="retry-1")
    assert created and not created_again and again.pk == first.pk
    assert Payment.objects.filter(payer_id=me.pk).count() == 1
    assert again.payment_public_id == first.payment_public_id


def test_the_api_answers_202_with_the_payment_to_make(world, client):
    me = citizen()
    client.force_login(me)
    response = client.post(
        "/api/v1/applications",
        {"service_code": PASSPORT, "data": PASSPORT_DATA, "language": "en"},
        content_type="application/json",
        headers={"Idempotency-Key": "api-fee-1"},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "awaiting_payment" and body["due_date"] is None
    assert body["fee"]["amount"] == FULL_FEE and body["fee"]["exemption"] is None
    payment = body["payment"]
    assert payment["state"] == "awaiting" and payment["amount"] == FULL_FEE
    application = Application.objects.get(pk=body["id"])
    assert payment["public_id"] == str(application.payment_public_id)
    read = client.get(f"/api/v1/applications/{body['id']}").json()
    assert read["payment"]["public_id"] == payment["public_id"]
    assert read["payment"]["reference"]


def test_evidence_that_arrives_later_is_quoted_then_and_the_fee_awaited(
    world, settings, django_capture_on_commit_callbacks
):
    """A registry down at submission: the application waits for its evidence first; once the
    retry reads it, the fee is quoted from those facts and the application waits for payment."""
    from tests.applications.registry_stub import STUB, RegistryDownClient

    me = citizen(birth_date=dt.date(1955, 1, 10), sex="M")  # a pensioner, once the facts come
    settings.QYZMET_REGISTRY_CLIENT = STUB
    RegistryDownClient.reset("population")
    try:
        application, _ = _apply(me, django_capture_on_commit_callbacks)
        assert application.state == Application.AWAITING_EVIDENCE
        assert application.fee == {} and application.payment_public_id is None
        RegistryDownClient.reset()
        with django_capture_on_commit_callbacks(execute=True):
            result = services.application_evidence_retry(
                application_id=application.pk, now=timezone.now() + dt.timedelta(hours=1)
            )
    finally:
        RegistryDownClient.reset()
    assert result == "started"
    application.refresh_from_db()
    # The facts show a pensioner: nothing to pay, straight into the workflow.
    assert application.state == "submitted"
    assert application.fee["exemption"]["code"] == "pensioner"
    assert application.payment_public_id is None


def test_evidence_that_arrives_later_for_a_payer_waits_for_the_fee(
    world, settings, django_capture_on_commit_callbacks
):
    from tests.applications.registry_stub import STUB, RegistryDownClient

    me = citizen(birth_date=dt.date(1990, 1, 10))
    settings.QYZMET_REGISTRY_CLIENT = STUB
    RegistryDownClient.reset("population")
    try:
        application, _ = _apply(me, django_capture_on_commit_callbacks)
        RegistryDownClient.reset()
        with django_capture_on_commit_callbacks(execute=True):
            services.application_evidence_retry(
                application_id=application.pk, now=timezone.now() + dt.timedelta(hours=1)
            )
    finally:
        RegistryDownClient.reset()
    application.refresh_from_db()
    assert application.state == Application.AWAITING_PAYMENT
    assert application.fee["amount"] == FULL_FEE
    history = application_history(application_id=application.pk)
    assert [h.to_state for h in history] == [
        Application.AWAITING_EVIDENCE,
        Application.AWAITING_PAYMENT,
    ]
    assert application_payment(application=application).amount == FULL_FEE
