"""Demo open cases for the officers' inboxes: every agency's desk starts with work on it.

Kept apart from `demo.py` on purpose: that module writes the registry and identity tables and is
imported by the appeals demo; this one submits applications through the applications services,
and the layers contract keeps `appeals` from depending on `applications`, even indirectly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone

from qyzmet.applications import services as app_services
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.applications.payment_step import application_payment_received
from qyzmet.catalog.selectors import service_pinned, service_search
from qyzmet.core.calendar import calendar_default
from qyzmet.countries.kz.demo import (
    DEMO_CITIZEN_A_IIN,
    DEMO_CITIZEN_B_IIN,
    DEMO_OFFICER_IINS,
    agencies_load,
)
from qyzmet.identity.models import User
from qyzmet.payments import selectors as payment_selectors
from qyzmet.payments import services as payment_services
from qyzmet.registries.population.models import Person

if TYPE_CHECKING:
    from qyzmet.catalog.selectors import ServiceVersionDTO

# Each agency's inbox gets these cases: (slot, working days before its deadline it came in, taken
# into review). "late" came in two working days more than the service allows, "soon" is due on
# the next working day, "review" came in today and is being worked on.
_OPEN_CASE_SLOTS = (("late", 2, True), ("soon", -1, False), ("review", None, True))


def _demo_form_data(service_code: str, *, today: dt.date) -> tuple[str, dict[str, Any]] | None:
    """(applicant IIN, form data) for a demo case of the service: citizen A applies for what
    needs her children, citizen B for the rest. None for a service this pack does not know."""
    children = dict(Person.objects.filter(mother__iin=DEMO_CITIZEN_A_IIN).values_list("sex", "iin"))
    # fmt: off
    forms: dict[str, tuple[str, dict[str, Any]]] = {
        "kz.address-certificate": (DEMO_CITIZEN_B_IIN, {"purpose": "bank"}),
        "kz.criminal-record-certificate": (DEMO_CITIZEN_B_IIN, {"purpose": "employment"}),
        "kz.ie-registration": (DEMO_CITIZEN_B_IIN, {
            "business_name": "Омаров Д.Қ. — жөндеу шеберханасы", "activity_code": "95230",
            "tax_regime": "simplified", "business_address": "Астана, пр. Мангилик Ел, 20",
        }),
        "kz.birth-registration": (DEMO_CITIZEN_A_IIN, {
            "child_last_name": "Нұрланова", "child_first_name": "Аружан",
            "child_patronymic": "Ерланқызы",
            "child_birth_date": (today - dt.timedelta(days=3)).isoformat(), "child_sex": "female",
            "birth_place": "Алматы, №1 перзентхана", "medical_certificate_number": "MS-2026-0412",
            "parents_marital_status": "married",
        }),
        "kz.child-birth-benefit": (DEMO_CITIZEN_A_IIN, {
            "child_iin": children.get("F", ""), "iban": "KZ86125KZT5004100100",
        }),
        "kz.kindergarten-queue": (DEMO_CITIZEN_A_IIN, {
            "child_iin": children.get("M", ""), "district": "bostandyk", "language": "kk",
        }),
        "kz.passport": (DEMO_CITIZEN_B_IIN, {
            "reason": "expired", "previous_passport_number": "N09876543",
            "collection_office": "Астана, Есіл ауданының ХҚКО",
            "personal_attendance": True,
        }),
        "kz.driving-licence": (DEMO_CITIZEN_B_IIN, {
            "reason": "expired", "licence_number": "AB 1234567", "categories": "B, BE",
            "medical_certificate_number": "073-2026-1187",
            "medical_certificate_date": (today - dt.timedelta(days=10)).isoformat(),
            "collection_office": "Астана, мамандандырылған ХҚКО",
        }),
        "kz.vehicle-registration": (DEMO_CITIZEN_B_IIN, {
            "acquired_as": "bought_used", "vin": "XW8ZZZ61ZKG012345", "make": "Toyota",
            "model": "Camry", "year": 2019, "colour": "ақ", "body_type": "passenger_car",
            "previous_plate": "123 ABC 01", "acquisition_document": "sale_contract",
            "acquisition_document_number": "ДКП-2026-0415",
            "acquired_on": (today - dt.timedelta(days=2)).isoformat(),
            "insurance_policy_number": "OGPO-2026-558812",
        }),
        "kz.marriage-registration": (DEMO_CITIZEN_B_IIN, {
            "partner_iin": _unmarried_woman_iin(today), "ceremony": "solemn",
            "ceremony_date": (today + dt.timedelta(days=35)).isoformat(),
            "registry_office": "Астана қаласының АХАТ бөлімі", "applicant_surname": "keep",
            "partner_surname": "applicants", "partner_consents": True, "no_impediments": True,
        }),
    }
    # fmt: on
    return forms.get(service_code)


def _unmarried_woman_iin(today: dt.date) -> str:
    """A living, unmarried adult woman of the demo population (the lowest IIN, so the same one on
    every load) for citizen B's demo marriage application; "" when there is none."""
    iin = (
        Person.objects.filter(
            sex="F",
            spouse__isnull=True,
            death_date__isnull=True,
            birth_date__lte=dt.date(today.year - 20, today.month, min(today.day, 28)),
            birth_date__gte=dt.date(today.year - 40, today.month, min(today.day, 28)),
        )
        .exclude(iin=DEMO_CITIZEN_A_IIN)
        .order_by("iin")
        .values_list("iin", flat=True)
        .first()
    )
    return iin or ""


def _case_backdate(application_id: int, *, working_days: int, today: dt.date) -> None:
    """Move a fresh demo case's clock back, as if it had come in `working_days` working days ago:
    its submission time, its history and its deadlines, counted again in working days from the
    new day by the pinned workflow. The one step of the demo that is not a service call: the demo
    is loaded in a minute, but a desk worth showing has cases that arrived last week."""
    calendar = calendar_default()
    day = today
    for _ in range(working_days):
        day -= dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
    shift = dt.timedelta(days=(today - day).days)
    application = Application.objects.get(pk=application_id)
    workflow = service_pinned(version_id=application.service_version_id).package.workflow
    state = workflow.state(application.state)
    Application.objects.filter(pk=application_id).update(
        submitted_at=F("submitted_at") - shift,
        due_date=calendar.add_working_days(day, workflow.deadline_working_days),
        state_due_date=(
            calendar.add_working_days(day, state.deadline_working_days)
            if state and state.deadline_working_days
            else None
        ),
    )
    ApplicationEvent.objects.filter(application_id=application_id).update(at=F("at") - shift)


def _demo_fee_paid(application_id: int) -> None:
    """Pay a demo case's fee as a bank transfer would (the engine's route for money that comes
    by statement): the case then enters its workflow exactly as a paid one does. The desk shows
    cases an officer can work; a fee-bearing case waits for payment until it is paid."""
    payment = payment_selectors.payment_for_source(source_ref=f"application:{application_id}")
    if payment is None or payment.state != "awaiting":
        return
    paid_at = timezone.now()
    payment_services.payment_record_success(
        payment_id=payment.id,
        provider="reference",
        amount=payment.amount,
        currency=payment.currency,
        at=paid_at,
        external_ref=f"demo-desk-{payment.reference}",
    )
    # What the `payment.succeeded` consumer does after commit, done now so that the case can be
    # aged below (the consumer then finds it started and does nothing).
    application_payment_received(source_ref=payment.source_ref, paid_at=paid_at)


def demo_open_cases_ensure(*, today: dt.date | None = None) -> dict[str, int]:
    """Open cases in every agency's inbox, made through the real services (submitted by a demo
    citizen, so each has its registry evidence, history and deadline; some taken into review by
    the agency's demo officer), then aged so that one is overdue and one due soon. Idempotent:
    each case has a fixed idempotency key, and a case that exists is left as it is.

    Needs the catalogue, the exchange gateway's rights and the PKI loaded first (demo_load runs
    it after check_services, exchange_sync and pki_init). Returns how many cases it created."""
    today = today or timezone.localdate()
    services: dict[str, ServiceVersionDTO] = {}
    for found in service_search():
        services.setdefault(found.agency_code, found)
    officers = {
        agency: iin
        for agency, people in DEMO_OFFICER_IINS.items()
        for iin, role in people
        if role == "officer"
    }
    created = 0
    for agency in agencies_load():
        service = services.get(agency["code"])
        if service is None or agency["code"] not in officers:
            continue
        code = service.code
        form = _demo_form_data(code, today=today)
        if form is None:
            continue
        iin, data = form
        applicant = User.objects.get(iin=iin)
        officer = User.objects.get(iin=officers[agency["code"]])
        deadline = service.package.workflow.deadline_working_days
        for slot, past_deadline, take in _OPEN_CASE_SLOTS:
            application, new = app_services.application_submit(
                actor=applicant,
                service_code=code,
                data=data,
                idempotency_key=f"demo-desk-{agency['code']}-{slot}",
            )
            if not new:
                continue
            created += 1
            if application.state == Application.AWAITING_PAYMENT:
                _demo_fee_paid(application.pk)
                application.refresh_from_db()
            if take and application.state == "submitted":
                app_services.application_act(
                    actor=officer, application_id=application.pk, action="take"
                )
            days_ago = 0 if past_deadline is None else max(deadline + past_deadline, 0)
            if days_ago:
                _case_backdate(application.pk, working_days=days_ago, today=today)
    return {"cases": created}
