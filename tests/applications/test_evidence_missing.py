"""A waiting application is never stuck: when a registry refuses for good at a retry (the person
is no longer in it), or still does not answer when the waiting limit runs out, the case goes to
the agency without that evidence. The officer sees what is missing and why, the citizen is told
(page, API, notification, in their language), and the history and audit trail say so."""

from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications import services
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.applications.selectors import application_package
from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue
from qyzmet.notifications.models import Notification
from qyzmet.registries.population.models import Person
from tests.applications.registry_stub import DATA, IE, IE_DATA, STUB, RegistryDownClient
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

@pytest.fixture
def world(settings):
    settings.QYZMET_REGISTRY_CLIENT = STUB
    catalog_loaded()
    RegistryDownClient.reset("population")
    yield citizen(), officer()
    RegistryDownClient.reset()


def _waiting(user, service: str = SERVICE, data: dict | None = None) -> Application:
    application, created = services.application_submit(
        actor=user, service_code=service, data=data or DATA
    )
    assert created and application.state == Application.AWAITING_EVIDENCE
    return application


def _api(user, lang: str = "en") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}",
                  HTTP_ACCEPT_LANGUAGE=lang)  # fmt: skip


def test_a_registry_that_refuses_for_good_sends_the_case_on_without_it(
    world, django_capture_on_commit_callbacks
):
    a, clerk = world
    application = _waiting(a)
    # The registry is back, but the person is no longer in it: asking again will not help.
    RegistryDownClient.down.clear()
    Person.objects.filter(iin=a.iin).delete()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.evidence_retry_due(now=timezone.now() + dt.timedelta(minutes=1))
    assert counts["started"] == 1, counts

    application.refresh_from_db()
    package = application_package(application=application)
    assert application.state == package.workflow.initial and application.is_open
    assert application.due_date is not None
    assert application.evidence == {} and application.evidence_pending == []
    assert application.evidence_retry_at is None
    assert set(application.evidence_missing) == {"person"}
    assert application.evidence_missing["person"]["code"] == "registry.subject_not_found"
    assert a.iin in application.evidence_missing["person"]["detail"]
    history = ApplicationEvent.objects.filter(application=application).order_by("id")
    assert [(h.action, h.to_state, h.actor_role) for h in history] == [
        ("submit", "awaiting_evidence", "applicant"),
        ("evidence_incomplete", package.workflow.initial, "system"),
    ]
    audit = AuditEntry.objects.get(action="application.evidence_incomplete")
    assert audit.data["evidence_missing"] == ["person"]
    event = OutboxEvent.objects.get(topic="application.submitted",
                                    payload__application_id=application.pk)  # fmt: skip
    assert event.payload["evidence_missing"] == ["person"]
    notes = Notification.objects.filter(user=a, body__contains=application.number)
    told = {"kk": "алу мүмкін болмады", "ru": "не удалось получить", "en": "could not be obtained"}
    assert notes and all(told[a.language or "kk"] in n.body for n in notes), a.language

    # The officer has it in the inbox and sees what is missing, and why.
    inbox = _api(clerk).get("/api/v1/inbox").json()["items"]
    assert [i["id"] for i in inbox] == [application.pk]
    web = Client()
    web.force_login(clerk)
    page = web.get(reverse("bo-case", kwargs={"application_id": application.pk}))
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    # In the officer's language (kk here): the heading and the reason in words.
    assert 'data-evidence="missing"' in text and "Тізілімдерден алынбады" in text
    assert "тізілімде жазба жоқ" in text

    # The citizen reads the same through the API.
    out = _api(a).get(f"/api/v1/applications/{application.pk}").json()
    assert out["evidence_missing"] == [{
        "name": "person", "registry": "population", "fact": "person",
        "code": "registry.subject_not_found",
        "detail": application.evidence_missing["person"]["detail"]}]  # fmt: skip
    assert out["evidence_pending"] == [] and out["state"] == package.workflow.initial
    # Nothing is asked again.
    RegistryDownClient.calls = []
    later = timezone.now() + dt.timedelta(days=1)
    assert services.evidence_retry_due(now=later)["started"] == 0
    assert RegistryDownClient.calls == []


@pytest.mark.parametrize(
    ("lang", "notice", "reason"),
    [
        ("en", "could not be obtained", "the registry did not answer in time"),
        ("ru", "не удалось получить", "реестр не ответил вовремя"),
        ("kk", "алу мүмкін болмады", "тізілім уақытында жауап бермеді"),
    ],
)
def test_a_registry_still_down_at_the_waiting_limit(world, settings, client, lang, notice, reason):
    a, _ = world
    settings.QYZMET_EVIDENCE_WAIT_MAX_SECONDS = 6 * 3600
    application = _waiting(a)
    t0 = application.submitted_at
    # Before the limit the case keeps waiting, however many attempts fail.
    assert services.evidence_retry_due(now=t0 + dt.timedelta(hours=5, minutes=59))["waiting"] == 1
    application.refresh_from_db()
    assert application.state == Application.AWAITING_EVIDENCE
    assert application.evidence_missing == {}
    # At the limit it goes to the agency without the population register's data.
    Application.objects.filter(pk=application.pk).update(evidence_retry_at=t0)
    assert services.evidence_retry_due(now=t0 + dt.timedelta(hours=6))["started"] == 1
    application.refresh_from_db()
    assert application.state == application_package(application=application).workflow.initial
    assert application.evidence_missing["person"]["code"] == "registry.unavailable"
    assert "no answer within 6 h" in application.evidence_missing["person"]["detail"]

    client.force_login(a)
    page = client.get(reverse("my-application", kwargs={"application_id": application.pk}),
                      HTTP_ACCEPT_LANGUAGE=lang)  # fmt: skip
    text = html.unescape(page.content.decode())
    assert page.status_code == 200
    assert 'data-evidence="missing"' in text and notice in text and reason in text
    assert 'data-state="awaiting_evidence"' not in text


def test_only_the_missing_item_is_left_out(world, settings):
    """Two registries: the one that answered keeps its fact; only the silent one is missing."""
    a, _ = world
    settings.QYZMET_EVIDENCE_WAIT_MAX_SECONDS = 3600
    RegistryDownClient.reset("legal_entities")
    application = _waiting(a, IE, IE_DATA)
    later = application.submitted_at + dt.timedelta(hours=1)
    Application.objects.filter(pk=application.pk).update(evidence_retry_at=later)
    assert services.evidence_retry_due(now=later)["started"] == 1
    application.refresh_from_db()
    assert application.evidence["person"]["iin"] == a.iin
    assert set(application.evidence_missing) == {"ie"}
    out = _api(a).get(f"/api/v1/applications/{application.pk}").json()
    assert [(m["name"], m["registry"], m["code"]) for m in out["evidence_missing"]] == [
        ("ie", "legal_entities", "registry.unavailable")
    ]


def test_a_complete_case_says_nothing_is_missing(world):
    a, _ = world
    application = _waiting(a)
    RegistryDownClient.down.clear()
    assert services.evidence_retry_due(now=timezone.now() + dt.timedelta(minutes=1))["started"]
    application.refresh_from_db()
    assert application.evidence_missing == {}
    assert ApplicationEvent.objects.filter(application=application,
                                           action="evidence_received").exists()  # fmt: skip
    out = _api(a).get(f"/api/v1/applications/{application.pk}").json()
    assert out["evidence_missing"] == []
    audit = AuditEntry.objects.get(action="application.evidence_received")
    assert "evidence_missing" not in audit.data
    assert json.dumps(out)  # the answer is plain JSON


@pytest.mark.parametrize(("lang", "said"), [("kk", "әзірге алынбады"), ("ru", "пока не удалось"),
                                             ("en", "could not be fetched yet")])  # fmt: skip
def test_the_citizen_is_told_while_the_application_waits(
    world, django_capture_on_commit_callbacks, lang, said
):
    a, _ = world
    a.language = lang
    a.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        application = _waiting(a)
    event = OutboxEvent.objects.get(topic="application.evidence_waiting")
    assert event.payload["evidence_pending"] == ["person"] and event.dispatched_at is not None
    notes = Notification.objects.filter(user=a, body__contains=application.number)
    assert {n.channel for n in notes} == {"inapp", "email"}
    assert all(said in n.body and n.language == lang for n in notes)


def _came_in_without_the_population_register(a, settings) -> Application:
    settings.QYZMET_EVIDENCE_WAIT_MAX_SECONDS = 3600
    application = _waiting(a)
    later = application.submitted_at + dt.timedelta(hours=1)
    Application.objects.filter(pk=application.pk).update(evidence_retry_at=later)
    assert services.evidence_retry_due(now=later)["started"] == 1
    application.refresh_from_db()
    assert set(application.evidence_missing) == {"person"}
    return application


def test_the_officer_fetches_the_missing_data_again_once_the_registry_is_back(world, settings):
    a, clerk = world
    application = _came_in_without_the_population_register(a, settings)
    web = Client()
    web.force_login(clerk)
    case_url = reverse("bo-case", kwargs={"application_id": application.pk})
    refetch = reverse("bo-evidence-refetch", kwargs={"application_id": application.pk})
    assert refetch in web.get(case_url).content.decode()  # the button is on the case page

    # Still down: nothing changes but the reason; the officer is told.
    page = web.post(refetch, follow=True)
    assert page.status_code == 200
    application.refresh_from_db()
    assert set(application.evidence_missing) == {"person"} and application.evidence == {}

    # Back: the fact joins the evidence, nothing is missing, the history and the audit say so.
    RegistryDownClient.down.clear()
    RegistryDownClient.calls = []
    out = _api(clerk).post(f"/api/v1/inbox/{application.pk}/evidence/refetch",
                           "{}", content_type="application/json")  # fmt: skip
    assert out.status_code == 200, out.content
    assert out.json()["evidence_missing"] == []
    assert out.json()["evidence"]["person"]["iin"] == a.iin
    # Read for this application, by the officer (the citizen's data tracker names them).
    assert RegistryDownClient.calls == [{
        "registry": "population", "fact": "person", "subject": a.iin, "actor": clerk.iin,
        "purpose": f"application {application.number} for service {application.service_code}",
    }]  # fmt: skip
    application.refresh_from_db()
    assert application.evidence_missing == {} and application.evidence["person"]["iin"] == a.iin
    refetched = ApplicationEvent.objects.filter(application=application,
                                                action="evidence_refetched").order_by("id")
    assert [e.reason for e in refetched] == ["", "person"]
    assert all(e.actor_id == clerk.pk for e in refetched)
    audit = AuditEntry.objects.filter(action="application.evidence_refetched").order_by("id")
    assert [e.data["obtained"] for e in audit] == [[], ["person"]]
    # Nothing is missing now: asking again is a conflict, and the button is gone.
    again = _api(clerk).post(f"/api/v1/inbox/{application.pk}/evidence/refetch",
                             "{}", content_type="application/json")  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "evidence_not_missing"
    assert refetch not in web.get(case_url).content.decode()


def test_another_agency_cannot_refetch(world, settings):
    a, _ = world
    application = _came_in_without_the_population_register(a, settings)
    stranger = officer("kz-kpssu")
    with pytest.raises(Problem) as caught:
        services.application_evidence_refetch(actor=stranger, application_id=application.pk)
    assert caught.value.status == 404
    with pytest.raises(Problem) as caught:
        services.application_evidence_refetch(actor=a, application_id=application.pk)
    assert caught.value.status == 404
