"""A registry that is down loses nothing: the submission is kept waiting for its evidence (202),
a sweep retries it with exponential backoff, and once the registry answers the application
enters its workflow exactly as a complete submission does — once, however many sweeps run."""

from __future__ import annotations

import datetime as dt
import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from qyzmet.applications import services, tasks
from qyzmet.applications.models import Application, ApplicationEvent
from qyzmet.applications.selectors import application_package
from qyzmet.audit.models import AuditEntry
from qyzmet.core.calendar import calendar_default
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue
from qyzmet.notifications.models import Notification
from tests.applications.registry_stub import DATA, IE, IE_DATA, STUB, RegistryDownClient
from tests.applications.signing import sign_submission
from tests.portal.factories import SERVICE, catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db

@pytest.fixture
def down(settings):
    """The stub client with the population registry down (tests bring it back with `.clear()`)."""
    settings.QYZMET_REGISTRY_CLIENT = STUB
    RegistryDownClient.reset("population")
    yield RegistryDownClient.down
    RegistryDownClient.reset()


@pytest.fixture
def world(db, down):
    catalog_loaded()
    return citizen(), officer()


def api(user, lang: str = "en") -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}",
                  HTTP_ACCEPT_LANGUAGE=lang)  # fmt: skip


def post(client: Client, url: str, body: dict, **headers) -> object:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def submit_waiting(user, data: dict | None = None, key: str | None = None) -> Application:
    application, created = services.application_submit(
        actor=user, service_code=SERVICE, data=data or DATA, idempotency_key=key
    )
    assert created and application.state == Application.AWAITING_EVIDENCE
    return application


def _submitted_events(application: Application):
    return OutboxEvent.objects.filter(
        topic="application.submitted", payload__application_id=application.pk
    )


def test_api_submit_while_the_registry_is_down_is_accepted_and_kept(world):
    a, _ = world
    client = api(a)
    body = {"service_code": SERVICE, "data": DATA, "language": "ru"}
    response = post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 202, response.content
    out = response.json()
    assert out["state"] == "awaiting_evidence" and not out["is_open"]
    assert out["evidence_pending"] == [
        {"name": "person", "registry": "population", "fact": "person"}
    ]
    assert out["evidence"] == {} and out["due_date"] is None and out["actions"] == []
    assert "population register" in out["notice"] and "retry automatically" in out["notice"]

    application = Application.objects.get()
    # Nothing lost: what the citizen gave, the pinned version, the key; the next try is due.
    assert (application.data, application.applicant_id, application.language) == (DATA, a.pk, "ru")
    assert application.service_version_id == out["service_version_id"]
    assert application.idempotency_key == "key-1"
    assert application.submitted_at is not None
    assert application.evidence_retry_at == application.submitted_at + dt.timedelta(minutes=1)
    shown = dt.datetime.fromisoformat(out["evidence_retry_at"])
    assert abs(shown - application.evidence_retry_at) < dt.timedelta(milliseconds=1)
    assert application.evidence_attempts == 0 and out["evidence_attempts"] == 0
    history = ApplicationEvent.objects.filter(application=application)
    assert [(h.action, h.from_state, h.to_state) for h in history] == [
        ("submit", "draft", "awaiting_evidence")
    ]
    audit = AuditEntry.objects.get(action="application.submit", object_id=str(application.pk))
    assert audit.data["state"] == "awaiting_evidence"
    assert audit.data["evidence_pending"] == ["person"]
    assert not _submitted_events(application).exists()  # not in the workflow yet

    # The client retries the same POST: the same application, still accepted and waiting.
    again = post(client, "/api/v1/applications", body, HTTP_IDEMPOTENCY_KEY="key-1")
    assert again.status_code == 202 and again.json()["id"] == out["id"]
    assert Application.objects.count() == 1
    conflict = post(client, "/api/v1/applications", {**body, "data": {"purpose": "school"}},
                    HTTP_IDEMPOTENCY_KEY="key-1")  # fmt: skip
    assert conflict.status_code == 409
    # The citizen reads it back, in each language.
    read = api(a, "kk").get(f"/api/v1/applications/{application.pk}").json()
    assert read["state"] == "awaiting_evidence" and "жеке тұлғалар дерекқоры" in read["notice"]
    read = api(a, "ru").get(f"/api/v1/applications/{application.pk}").json()
    assert "база данных физических лиц" in read["notice"]
    listed = client.get("/api/v1/applications").json()["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(application.pk, "awaiting_evidence")]


def test_officers_do_not_see_a_waiting_application(world):
    a, clerk = world
    application = submit_waiting(a)
    client = api(clerk)
    for status in ("open", "closed", "all"):
        assert client.get(f"/api/v1/inbox?status={status}").json()["items"] == []
    assert client.get(f"/api/v1/inbox/{application.pk}").status_code == 404
    took = post(client, f"/api/v1/inbox/{application.pk}/actions/take", {})
    assert took.status_code == 404
    with pytest.raises(Problem) as caught:
        services.application_act(actor=a, application_id=application.pk, action="provide_info")
    assert caught.value.status == 409  # the applicant sees it, but there is nothing to do yet


def test_a_draft_submitted_while_the_registry_is_down_answers_202(world):
    a, _ = world
    client = api(a)
    draft = post(client, "/api/v1/applications", {"service_code": SERVICE, "data": DATA,
                                                  "draft": True}).json()  # fmt: skip
    response = post(client, f"/api/v1/applications/{draft['id']}/submit", {"data": DATA})
    assert response.status_code == 202, response.content
    assert response.json()["id"] == draft["id"]
    assert Application.objects.get().state == Application.AWAITING_EVIDENCE


def test_the_facts_that_were_read_are_kept(world):
    """Two registries, one down: the fact from the one that answered is kept, the other waits."""
    a, _ = world
    RegistryDownClient.reset("legal_entities")
    application, _ = services.application_submit(actor=a, service_code=IE, data=IE_DATA)
    assert application.state == Application.AWAITING_EVIDENCE
    assert application.evidence_pending == ["ie"]
    assert application.evidence["person"]["iin"] == a.iin
    assert application.evidence_error.startswith("legal_entities.ie_status:")

    RegistryDownClient.reset()
    RegistryDownClient.calls = []
    result = services.application_evidence_retry(
        application_id=application.pk, now=timezone.now() + dt.timedelta(minutes=1)
    )
    assert result == "started"
    # Only the missing item was read again; the kept one stays as it was read.
    assert [(c["registry"], c["fact"]) for c in RegistryDownClient.calls] == [
        ("legal_entities", "ie_status")
    ]
    application.refresh_from_db()
    assert set(application.evidence) == {"person", "ie"}
    assert application.state == application_package(application=application).workflow.initial


def test_sweeps_while_still_down_count_attempts_and_back_off(world):
    a, _ = world
    application = submit_waiting(a)
    t = application.submitted_at
    assert services.evidence_retry_due(now=t + dt.timedelta(seconds=30)) == {
        "started": 0,
        "waiting": 0,
        "skipped": 0,
        "failed": 0,
    }  # not due yet
    expected_waits = [2, 4, 8, 16, 32, 60, 60]  # minutes after each failed attempt
    now = application.evidence_retry_at
    for attempt, wait in enumerate(expected_waits, start=1):
        counts = services.evidence_retry_due(now=now)
        assert counts["waiting"] == 1, counts
        application.refresh_from_db()
        assert application.evidence_attempts == attempt
        assert application.evidence_retry_at == now + dt.timedelta(minutes=wait)
        assert application.state == Application.AWAITING_EVIDENCE
        assert "population.person" in application.evidence_error
        # A sweep before the next try is due leaves it alone.
        assert services.evidence_retry_due(now=now + dt.timedelta(minutes=wait) -
                                           dt.timedelta(seconds=1))["waiting"] == 0  # fmt: skip
        now = application.evidence_retry_at
    assert not _submitted_events(application).exists()
    # The attempts are counted on the case, not written to its history.
    assert ApplicationEvent.objects.filter(application=application).count() == 1


def test_registry_back_the_sweep_starts_the_workflow_from_the_submission_date(
    world, django_capture_on_commit_callbacks
):
    a, clerk = world
    application = submit_waiting(a)
    # The citizen submitted a week ago; the registry answers only now.
    submitted_on = timezone.localdate() - dt.timedelta(days=7)
    submitted_at = timezone.make_aware(dt.datetime.combine(submitted_on, dt.time(10, 0)))
    Application.objects.filter(pk=application.pk).update(
        submitted_at=submitted_at, evidence_retry_at=submitted_at + dt.timedelta(minutes=1)
    )
    RegistryDownClient.down.clear()
    RegistryDownClient.calls = []
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        call_command("evidence_retry", stdout=out)
    assert "1 started" in out.getvalue()

    application.refresh_from_db()
    package = application_package(application=application)
    assert application.state == package.workflow.initial and application.is_open
    assert application.evidence["person"]["iin"] == a.iin
    assert application.evidence_pending == [] and application.evidence_retry_at is None
    assert application.submitted_at == submitted_at
    assert application.due_date == calendar_default().add_working_days(
        submitted_on, package.workflow.deadline_working_days
    )
    assert application.due_date != calendar_default().add_working_days(
        timezone.localdate(), package.workflow.deadline_working_days
    )
    # The read was made for this application, with the citizen as the end user.
    assert RegistryDownClient.calls == [{
        "registry": "population", "fact": "person", "subject": a.iin, "actor": a.iin,
        "purpose": f"application {application.number} for service {SERVICE}"}]  # fmt: skip
    history = ApplicationEvent.objects.filter(application=application).order_by("id")
    assert [(h.action, h.from_state, h.to_state, h.actor_role) for h in history] == [
        ("submit", "draft", "awaiting_evidence", "applicant"),
        ("evidence_received", "awaiting_evidence", package.workflow.initial, "system"),
    ]
    entry = AuditEntry.objects.get(action="application.evidence_received")
    assert entry.actor_label == "system" and entry.data["state"] == package.workflow.initial
    event = _submitted_events(application).get()
    assert event.dispatched_at is not None  # delivered: the citizen is told the case is in
    assert Notification.objects.filter(user=a, body__contains=application.number).exists()
    # Now the agency sees it.
    inbox = api(clerk).get("/api/v1/inbox").json()["items"]
    assert [i["id"] for i in inbox] == [application.pk]
    # Another sweep has nothing to do.
    assert services.evidence_retry_due(now=timezone.now() + dt.timedelta(days=1))["started"] == 0


def test_the_celery_task_retries_one_application_when_due(world):
    a, _ = world
    application = submit_waiting(a)
    RegistryDownClient.down.clear()
    assert tasks.evidence_retry.delay(application.pk).get() == "skipped"  # not due yet
    Application.objects.filter(pk=application.pk).update(
        evidence_retry_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert tasks.evidence_retry.delay(application.pk).get() == "started"
    assert tasks.evidence_retry_due.delay().get()["started"] == 0


def test_the_sweep_is_on_the_beat_schedule_and_its_task_is_registered():
    from django.conf import settings

    from qyzmet.celery import app

    scheduled = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled.get(tasks.evidence_retry_due.name) == 60.0
    assert {tasks.evidence_retry_due.name, tasks.evidence_retry.name} <= set(app.tasks)


def test_backoff_is_exponential_and_capped_at_an_hour():
    waits = [services.evidence_retry_delay(attempts=n) for n in range(9)]
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert services.evidence_retry_delay(attempts=10_000) == dt.timedelta(hours=1)


# --- signatures ----------------------------------------------------------------------------


def test_signed_while_down_the_signature_names_the_pending_evidence(world):
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    signed = json.loads(bytes(request.canonical))
    assert signed["evidence"] == {} and signed["evidence_pending"] == ["person"]
    application, created = services.application_submit(
        actor=a, service_code=SERVICE, data=DATA, signature_request_id=request.id
    )
    assert created and application.state == Application.AWAITING_EVIDENCE
    assert application.submission_signature_id == request.id
    assert application.submission_sha256 == request.sha256
    first = ApplicationEvent.objects.get(application=application)
    assert first.signature_id == request.id  # the citizen's act carries their signature
    audit = AuditEntry.objects.get(action="application.submit", object_id=str(application.pk))
    assert audit.data["signature"]["request"] == request.id

    RegistryDownClient.down.clear()
    assert services.evidence_retry_due(
        now=timezone.now() + dt.timedelta(minutes=1))["started"] == 1  # fmt: skip
    application.refresh_from_db()
    assert application.evidence["person"]["iin"] == a.iin  # read later, not under the signature
    assert application.submission_signature_id == request.id
    # The signature cannot be used for anything else.
    with pytest.raises(Problem) as caught:
        services.application_submit(actor=a, service_code=SERVICE, data=DATA,
                                    signature_request_id=request.id)  # fmt: skip
    assert caught.value.code == "signature_already_used"


def test_signed_while_down_and_submitted_when_back_waits_for_the_retry(world):
    """The submission reads no registry (what is signed is what the case carries): an item
    pending when the citizen signed is read by the retry, outside the submission."""
    a, _ = world
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    RegistryDownClient.down.clear()
    RegistryDownClient.calls = []
    application, _ = services.application_submit(
        actor=a, service_code=SERVICE, data=DATA, signature_request_id=request.id
    )
    assert RegistryDownClient.calls == []
    assert application.state == Application.AWAITING_EVIDENCE
    assert application.evidence_pending == ["person"]
    assert services.evidence_retry_due(
        now=timezone.now() + dt.timedelta(minutes=1))["started"] == 1  # fmt: skip
    application.refresh_from_db()
    assert application.state == application_package(application=application).workflow.initial
    assert application.evidence["person"]["iin"] == a.iin
    assert application.submission_signature_id == request.id


def test_signed_with_evidence_then_the_registry_goes_down(world):
    """A fact read when signing, the registry down at submission: the case carries the fact as
    signed and enters its workflow — the submission does not ask the registry again."""
    a, _ = world
    RegistryDownClient.down.clear()
    request = sign_submission(a, service_code=SERVICE, data=DATA)
    assert "evidence_pending" not in json.loads(bytes(request.canonical))
    RegistryDownClient.down.add("population")
    RegistryDownClient.calls = []
    application, _ = services.application_submit(
        actor=a, service_code=SERVICE, data=DATA, signature_request_id=request.id
    )
    assert RegistryDownClient.calls == []
    assert application.state == application_package(application=application).workflow.initial
    assert application.evidence["person"]["iin"] == a.iin
    assert application.submission_signature_id == request.id
    # What the signature covers is still checked: other data is refused.
    other = sign_submission(a, service_code=SERVICE, data={"purpose": "school"})
    with pytest.raises(Problem) as caught:
        services.application_submit(actor=a, service_code=SERVICE, data=DATA,
                                    signature_request_id=other.id)  # fmt: skip
    assert caught.value.code == "signature_mismatch"


# --- two sweeps at once --------------------------------------------------------------------


def test_a_sweep_finds_a_case_claimed_by_another_sweep_and_leaves_it(world):
    a, _ = world
    application = submit_waiting(a)
    RegistryDownClient.down.clear()
    later = timezone.now() + dt.timedelta(minutes=1)
    second: dict[str, int] = {}
    # While the first sweep is reading the registry, a second sweep runs.
    RegistryDownClient.during_fetch = lambda: second.update(services.evidence_retry_due(now=later))
    first = services.evidence_retry_due(now=later)
    assert first["started"] == 1
    assert second == {"started": 0, "waiting": 0, "skipped": 0, "failed": 0}
    assert _submitted_events(application).count() == 1


def test_a_late_sweep_after_the_claim_ran_out_does_not_start_the_workflow_again(world):
    """The first sweep's claim ran out while it read (a very slow registry): a second sweep
    claims, reads and starts the workflow; the first one then finds the case already in it."""
    a, _ = world
    application = submit_waiting(a)
    RegistryDownClient.down.clear()
    later = timezone.now() + dt.timedelta(minutes=1)
    second: dict[str, int] = {}

    def meanwhile() -> None:
        much_later = later + services.EVIDENCE_RETRY_LEASE + dt.timedelta(seconds=1)
        second.update(services.evidence_retry_due(now=much_later))

    RegistryDownClient.during_fetch = meanwhile
    first = services.evidence_retry_due(now=later)
    assert second["started"] == 1
    assert first == {"started": 0, "waiting": 0, "skipped": 1, "failed": 0}
    assert _submitted_events(application).count() == 1
    assert ApplicationEvent.objects.filter(application=application,
                                           action="evidence_received").count() == 1  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_start_the_workflow_once(down):
    catalog_loaded()
    a = citizen()
    application = submit_waiting(a)
    RegistryDownClient.down.clear()
    later = timezone.now() + dt.timedelta(minutes=1)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(services.evidence_retry_due(now=later))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    assert sum(r["started"] for r in results) == 1
    assert sum(r["failed"] for r in results) == 0
    assert _submitted_events(application).count() == 1
    assert ApplicationEvent.objects.filter(application=application,
                                           action="evidence_received").count() == 1  # fmt: skip


@pytest.mark.parametrize("kind", ["new", "draft", "signed"])
def test_no_registry_is_read_inside_a_submission_transaction(world, kind):
    """A slow registry must hold no transaction open and no row lock: every read of a
    submission happens at the transaction depth the caller started with (the test's own)."""
    a, _ = world
    RegistryDownClient.reset()  # every registry answers
    depth_at_start = len(connection.atomic_blocks)
    depths: list[int] = []
    original = RegistryDownClient.fetch

    def fetch(self, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return original(self, **kwargs)

    RegistryDownClient.fetch = fetch  # type: ignore[method-assign]
    try:
        if kind == "signed":
            request_id = str(sign_submission(a, service_code=SERVICE, data=DATA).id)
            depths.clear()  # the signature's read happened before; the submission reads nothing
            application, created = services.application_submit(
                actor=a, service_code=SERVICE, data=DATA, signature_request_id=request_id
            )
            assert depths == []
        else:
            draft_id = None
            if kind == "draft":
                draft_id = services.application_draft_save(
                    actor=a, service_code=SERVICE, data=DATA
                ).pk
            application, created = services.application_submit(
                actor=a, service_code=SERVICE, data=DATA, draft_id=draft_id
            )
            assert depths and set(depths) == {depth_at_start}, depths
    finally:
        RegistryDownClient.fetch = original  # type: ignore[method-assign]
    assert created and application.state != Application.AWAITING_EVIDENCE
    assert application.evidence  # the facts read are on the case
    reads = AuditEntry.objects.filter(kind="read", subject_iin=a.iin)
    if kind == "new":
        assert reads.filter(purpose=f"submitting an application for service {SERVICE}").exists()
