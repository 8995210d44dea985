"""The workflow engine: deadlines in working days, the clock stopping while the citizen is asked
for more, version pinning, escalation, history and audit in the same transaction."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from qyzmet.applications import services
from qyzmet.applications.models import Application
from qyzmet.applications.selectors import (
    application_history,
    application_package,
    available_actions,
)
from qyzmet.audit.models import AuditEntry
from qyzmet.catalog.services import catalog_sync
from qyzmet.core.calendar import calendar_default
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.notifications.models import Notification
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    catalog_loaded()
    a = citizen()
    mvd = citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    head = citizen()
    MembershipFactory(user=head, organisation=agency("kz-mvd"), role="head")
    return a, mvd, head


def test_submission_sets_deadline_in_working_days(world):
    a, _, _ = world
    application = submitted(a)
    package = application_package(application=application)
    expected = calendar_default().add_working_days(
        timezone.localdate(), package.workflow.deadline_working_days
    )
    assert application.due_date == expected
    assert application.state == package.workflow.initial
    assert application.is_open


def test_submission_writes_history_audit_and_event_together(world):
    a, _, _ = world
    application = submitted(a)
    assert [h.action for h in application_history(application_id=application.pk)] == ["submit"]
    audit = AuditEntry.objects.filter(object_type="application", object_id=str(application.pk))
    assert audit.filter(action="application.submit").count() == 1
    reads = AuditEntry.objects.filter(kind="read", subject_iin=a.iin)
    # Read before the application existed (no transaction open), for this service.
    assert reads.filter(purpose__contains=application.service_code).exists()
    assert OutboxEvent.objects.filter(
        topic="application.submitted", payload__application_id=application.pk
    ).count() == 1


def test_clock_stops_while_information_is_requested(world, monkeypatch):
    a, mvd, _ = world
    application = submitted(a)
    cal = calendar_default()
    # Pretend the case has 5 working days left when the officer asks for more.
    start = dt.date(2026, 12, 1)
    Application.objects.filter(pk=application.pk).update(due_date=cal.add_working_days(start, 5))
    monkeypatch.setattr(services.acting, "_today", lambda: start)
    services.application_act(actor=mvd, application_id=application.pk, action="take")
    services.application_act(
        actor=mvd, application_id=application.pk, action="request_info", reason="letter"
    )
    application.refresh_from_db()
    assert application.remaining_working_days == 5
    assert application.paused_at == start
    # The citizen answers ten calendar days later: the five days are given back from then.
    answered = dt.date(2026, 12, 11)
    monkeypatch.setattr(services.acting, "_today", lambda: answered)
    services.application_act(
        actor=a, application_id=application.pk, action="provide_info", reason="here"
    )
    application.refresh_from_db()
    assert application.paused_at is None
    assert application.due_date == cal.add_working_days(answered, 5)
    assert application.due_date == dt.date(2026, 12, 21)  # 16 Dec is a holiday


def test_new_version_never_changes_an_application_in_flight(world, tmp_path, settings):
    a, mvd, _ = world
    application = submitted(a)
    pinned = application.service_version_id
    # Publish a version 99 of the same service whose workflow has no 'take' action.
    source = Path(django_settings.QYZMET_SERVICE_PACKAGE_DIRS[0])
    for f in source.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    newest = max(int(f.name.split(".v")[1].split(".")[0])
                 for f in source.glob("address-certificate.v*.yaml"))
    current = (tmp_path / f"address-certificate.v{newest}.yaml").read_text(encoding="utf-8")
    v99 = current.replace(f"version: {newest}", "version: 99", 1)
    (tmp_path / "address-certificate.v99.yaml").write_text(v99, encoding="utf-8")
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    catalog_sync()
    fresh = submitted(a, key="after-v99")
    assert fresh.service_version_id != pinned
    application.refresh_from_db()
    assert application.service_version_id == pinned
    services.application_act(actor=mvd, application_id=application.pk, action="take")
    application.refresh_from_db()
    assert application.state == "in_review"


def test_officer_of_another_agency_cannot_act_and_cannot_see(world):
    a, _, _ = world
    application = submitted(a)
    stranger = citizen()
    MembershipFactory(user=stranger, organisation=agency("kz-kpssu"), role="officer")
    with pytest.raises(Problem) as caught:
        services.application_act(actor=stranger, application_id=application.pk, action="take")
    assert caught.value.status == 404
    assert available_actions(user=stranger, application=application) == []


def test_concurrent_decisions_take_effect_once(world):
    a, mvd, head = world
    application = submitted(a)
    services.application_act(actor=mvd, application_id=application.pk, action="take")
    services.application_act(actor=mvd, application_id=application.pk, action="approve")
    with pytest.raises(Problem) as caught:
        services.application_act(actor=head, application_id=application.pk, action="refuse",
                                 reason="late")
    assert caught.value.status == 409
    application.refresh_from_db()
    assert application.outcome == "approved"


def test_deadline_escalation_is_sent_once_to_heads(world, django_capture_on_commit_callbacks):
    a, mvd, head = world
    application = submitted(a)
    services.application_act(actor=mvd, application_id=application.pk, action="take")
    Application.objects.filter(pk=application.pk).update(due_date=dt.date(2026, 1, 5))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.deadlines_flag(today=dt.date(2026, 1, 20))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.deadlines_flag(today=dt.date(2026, 1, 21))
    assert first["overdue"] == 1
    assert second == {"due_soon": 0, "overdue": 0}
    to_head = Notification.objects.filter(user=head, channel="inapp")
    assert to_head.count() == 1
    assert application.number in to_head.get().body
    # The officer handling the case is told too.
    assert Notification.objects.filter(user=mvd, channel="inapp").count() == 1


def test_paused_cases_are_not_escalated(world):
    a, mvd, _ = world
    application = submitted(a)
    services.application_act(actor=mvd, application_id=application.pk, action="take")
    services.application_act(actor=mvd, application_id=application.pk, action="request_info",
                             reason="more")
    Application.objects.filter(pk=application.pk).update(due_date=dt.date(2026, 1, 5))
    assert services.deadlines_flag(today=dt.date(2026, 1, 20)) == {"due_soon": 0, "overdue": 0}


def test_due_soon_is_flagged_the_working_day_before(world):
    a, _, _ = world
    application = submitted(a)
    Application.objects.filter(pk=application.pk).update(due_date=dt.date(2026, 12, 14))
    # Friday 11 Dec: the next working day is Monday 14 Dec.
    assert services.deadlines_flag(today=dt.date(2026, 12, 11))["due_soon"] == 1
