"""A refusal names a coded ground of the pinned package: required and checked (422 naming
`/ground`), kept on the case, its history row, its audit entry and event, and told to the
applicant in their language with its legal basis. A case pinned to a version published before
grounds existed is refused without one ("ground not recorded")."""

from __future__ import annotations

import pytest
from django.test import TestCase

from qyzmet.applications import selectors, services
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.audit.models import AuditEntry
from qyzmet.catalog.selectors import service_versions
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.notifications.models import Notification
from tests.identity.factories import MembershipFactory
from tests.portal.factories import SERVICE, agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    catalog_loaded()
    applicant = citizen()
    applicant.language = "ru"
    applicant.save(update_fields=["language"])
    mvd = citizen()
    MembershipFactory(user=mvd, organisation=agency("kz-mvd"), role="officer")
    return applicant, mvd


def _taken(applicant, mvd, key="g"):
    case = submitted(applicant, key=key)
    services.application_act(actor=mvd, application_id=case.pk, action="take")
    return case


def _problem(make) -> Problem:
    with pytest.raises(Problem) as caught:
        make()
    return caught.value


def test_a_refusal_needs_a_known_ground_and_changes_nothing_without(world):
    applicant, mvd = world
    case = _taken(applicant, mvd)
    events = ApplicationEvent.objects.count()
    missing = _problem(lambda: services.application_act(
        actor=mvd, application_id=case.pk, action="refuse", reason="Нет адреса."))
    assert (missing.status, missing.code) == (422, "validation_failed")
    assert [e.pointer for e in missing.errors] == ["/ground"]
    unknown = _problem(lambda: services.application_act(
        actor=mvd, application_id=case.pk, action="refuse", reason="x", ground="whim"))
    assert unknown.status == 422 and [e.pointer for e in unknown.errors] == ["/ground"]
    assert "documents_false" in unknown.detail
    signing = _problem(lambda: services.application_decision_sign(
        actor=mvd, application_id=case.pk, action="refuse", reason="x"))
    assert [e.pointer for e in signing.errors] == ["/ground"]
    case.refresh_from_db()
    assert case.state == "in_review" and ApplicationEvent.objects.count() == events


def test_the_ground_is_kept_audited_published_and_told(world):
    applicant, mvd = world
    case = _taken(applicant, mvd)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.application_act(actor=mvd, application_id=case.pk, action="refuse",
                                 reason="Адрес не найден.", ground="no_registered_address")
    case.refresh_from_db()
    assert case.outcome == "refused" and case.decision_ground == "no_registered_address"
    row = ApplicationEvent.objects.filter(application=case).latest("pk")
    assert row.ground == "no_registered_address" and row.reason == "Адрес не найден."
    audit = AuditEntry.objects.filter(action="application.refuse").latest("pk")
    assert audit.data["ground"] == "no_registered_address"
    event = OutboxEvent.objects.filter(topic="application.refused").latest("created_at")
    assert event.payload["ground"] == "no_registered_address"
    told = Notification.objects.filter(user=applicant).latest("pk")
    assert "Адрес не найден." in told.body
    assert "Основание отказа: У заявителя нет зарегистрированного места жительства" in told.body
    assert "Закон РК «О миграции населения»" in told.body
    ground = selectors.decision_ground(application=case, lang="kk")
    assert ground.code == "no_registered_address" and "тіркелген" in ground.label
    assert "19-1" in ground.legal_basis


def test_an_approval_carries_no_ground(world):
    applicant, mvd = world
    case = _taken(applicant, mvd)
    services.application_act(actor=mvd, application_id=case.pk, action="approve",
                             ground="documents_false")
    case.refresh_from_db()
    assert case.outcome == "approved" and case.decision_ground == ""
    assert selectors.decision_ground(application=case, lang="en") is None
    assert ApplicationEvent.objects.filter(application=case).latest("pk").ground == ""


def test_a_case_of_a_version_without_grounds_is_refused_without_one(world):
    """Changing a service never breaks a case in flight: version 1 had no grounds."""
    applicant, mvd = world
    case = _taken(applicant, mvd)
    first = service_versions(code=SERVICE)[0]
    assert first.version == 1 and not first.package.refusal_grounds
    Application.objects.filter(pk=case.pk).update(service_version_id=first.id)
    case.refresh_from_db()
    assert selectors.refusal_grounds(application=case, action="refuse", lang="en") == []
    services.application_act(actor=mvd, application_id=case.pk, action="refuse",
                             reason="Old rules.", ground="documents_false")
    case.refresh_from_db()
    assert case.outcome == "refused" and case.decision_ground == ""
    assert selectors.decision_ground(application=case, lang="ru") is None
