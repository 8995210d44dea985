"""Registry change events: published with the registry's write, delivered to idempotent
consumers, numbered into the feed, read over the exchange gateway by a subscriber with a right."""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client

from qyzmet.audit.models import AuditEntry
from qyzmet.audit.usage import personal_data_usage
from qyzmet.core import events as core_events
from qyzmet.core.models import OutboxEvent, ProcessedEvent
from qyzmet.core.tasks import outbox_sweep
from qyzmet.registries.change_events.models import FeedEntry
from qyzmet.registries.change_events.selectors import cursor_encode, feed_page
from qyzmet.registries.change_events.services import (
    ChangeEventInvalid,
    change_publish,
    feed_append,
)
from qyzmet.registries.legal_entities.services import COMPANY_REGISTERED as COMPANY
from qyzmet.registries.legal_entities.services import company_register
from qyzmet.registries.population.models import IdentityDocument, Person
from qyzmet.registries.population.services import ADDRESS_CHANGED as ADDRESS
from qyzmet.registries.population.services import BIRTH_REGISTERED as BIRTH
from qyzmet.registries.population.services import DEATH_REGISTERED as DEATH
from qyzmet.registries.population.services import DOCUMENT_EXPIRING as EXPIRING
from qyzmet.registries.population.services import (
    PopulationWriteRefused,
    address_change,
    birth_register,
    death_register,
    document_expiring_scan,
)
from qyzmet.registries.vehicles.models import Vehicle
from qyzmet.registries.vehicles.services import VEHICLE_REREGISTERED as VEHICLE
from qyzmet.registries.vehicles.services import vehicle_reregister
from tests.exchange.factories import OTHER_ID, grant, machine_client, service
from tests.identity.factories import UserFactory

from .factories import PersonFactory

pytestmark = pytest.mark.django_db

EVENTS_SERVICE = "KZ/GOV/990340020029/population/events"
ON_BEHALF = {"user_id": "900517300017", "purpose": "proactive service: birth of a child"}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the after-commit delivery (the embedded settings deliver in-process)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def _birth(committed, mother: Person, *, iin: str, name: str = "Әлия") -> Person:
    return committed(
        birth_register, actor=None, iin=iin, last_name="Ахметова", first_name=name,
        patronymic="Ерланқызы", birth_date=dt.date(2026, 12, 1), sex="F", mother_iin=mother.iin,
    )  # fmt: skip


def test_birth_is_published_as_a_cloudevent_and_numbered_into_the_feed(committed):
    mother = PersonFactory(sex="F")
    child = _birth(committed, mother, iin="261201600017")
    assert child.address_id == mother.address_id
    outbox = OutboxEvent.objects.get(topic=BIRTH)
    event = outbox.payload
    assert {k: event[k] for k in ("specversion", "type", "subject", "datacontenttype", "source")} \
        == {"specversion": "1.0", "type": BIRTH, "subject": "261201600017",
            "datacontenttype": "application/json", "source": "/data/population/1.0"}  # fmt: skip
    assert event["time"].endswith("Z")
    assert event["data"] == {
        "child_iin": "261201600017", "full_name": "Ахметова Әлия Ерланқызы",
        "birth_date": "2026-12-01", "sex": "F", "mother_iin": mother.iin, "father_iin": "",
    }  # fmt: skip
    assert outbox.dispatched_at is not None  # delivered after commit, the feed's consumer ran
    entry = FeedEntry.objects.get()
    assert (entry.registry, entry.position, str(entry.event_id)) == ("population", 1, event["id"])
    assert entry.cloudevent == event and entry.personal
    audited = AuditEntry.objects.get(action="population.birth_registered")
    assert (audited.kind, audited.object_id, audited.subject_iin) == (
        "change",
        event["id"],
        "261201600017",
    )


def test_each_registry_write_publishes_its_type_with_its_subject(committed):
    mother, owner, buyer = PersonFactory(sex="F"), PersonFactory(), PersonFactory()
    committed(death_register, actor=None, iin=mother.iin, death_date=dt.date(2026, 11, 30))
    committed(address_change, actor=None, iin=owner.iin, region="Астана", city="Астана",
              street="пр. Республики", building="1", full="г. Астана, пр. Республики, д. 1",
              registered_since=dt.date(2026, 12, 2))  # fmt: skip
    committed(company_register, actor=None, bin="261240012345", name="ТОО «Жаңа»", kind="LLP",
              registered_on=dt.date(2026, 12, 3), head_iin=owner.iin, address="г. Астана",
              activity_code="62010", founders=((owner.iin, Decimal("100")),))  # fmt: skip
    Vehicle.objects.create(vin="XTA21099012345678", plate="123ABC02", make="Lada", model="2109",
                           year=2001, colour="белый", owner_iin=owner.iin,
                           registered_on=dt.date(2010, 1, 1))  # fmt: skip
    committed(vehicle_reregister, actor=None, vin="XTA21099012345678", new_owner_iin=buyer.iin,
              on=dt.date(2026, 12, 4))  # fmt: skip
    published = {e.payload["type"]: e.payload for e in OutboxEvent.objects.all()}
    assert set(published) == {DEATH, ADDRESS, COMPANY, VEHICLE}
    assert published[DEATH]["subject"] == mother.iin
    assert published[DEATH]["data"] == {"death_date": "2026-11-30"}
    assert published[ADDRESS]["data"]["address"]["full"] == "г. Астана, пр. Республики, д. 1"
    assert published[COMPANY]["subject"] == "261240012345"
    assert owner.iin not in json.dumps(published[COMPANY])  # not personal: no head, no founders
    assert published[VEHICLE]["subject"] == buyer.iin
    assert owner.iin not in json.dumps(published[VEHICLE])  # the seller is not named
    feed = {(e.registry, e.type): e.position for e in FeedEntry.objects.all()}
    assert feed == {("population", DEATH): 1, ("population", ADDRESS): 2,
                    ("legal_entities", COMPANY): 1, ("vehicles", VEHICLE): 1}  # fmt: skip
    assert not FeedEntry.objects.get(type=COMPANY).personal
    with pytest.raises(PopulationWriteRefused):  # a death is registered once
        death_register(actor=None, iin=mother.iin, death_date=dt.date(2026, 12, 1))
    assert OutboxEvent.objects.filter(topic=DEATH).count() == 1


def test_a_write_that_rolls_back_publishes_nothing(committed):
    mother = PersonFactory(sex="F")
    with pytest.raises(PopulationWriteRefused):
        committed(birth_register, actor=None, iin="261201600025", last_name="А", first_name="Б",
                  birth_date=dt.date(2026, 12, 1), sex="M", mother_iin=mother.iin,
                  father_iin="000000000000")  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        death_register(actor=None, iin=mother.iin, death_date=dt.date(2026, 12, 1))
        raise RuntimeError("the caller's transaction fails after the write")
    assert not OutboxEvent.objects.exists() and not FeedEntry.objects.exists()
    assert Person.objects.get(pk=mother.pk).death_date is None


def test_only_declared_types_and_fields_are_published():
    publish = functools.partial(change_publish, actor=None, registry="population")
    with pytest.raises(ChangeEventInvalid, match="declares no change event"):
        publish(type=COMPANY, subject="261240012345", data={})
    with pytest.raises(ChangeEventInvalid, match="declares no change event"):
        publish(type=BIRTH + "x", subject="261201600017", data={})
    with pytest.raises(ChangeEventInvalid, match="undeclared data fields secret"):
        publish(type=DEATH, subject="261201600017", data={"death_date": "2026-12-01", "secret": 1})
    with pytest.raises(ChangeEventInvalid, match="12 digits"):
        publish(type=DEATH, subject="26120160001", data={"death_date": "2026-12-01"})
    assert not OutboxEvent.objects.exists()


def test_document_expiring_is_published_once_per_document_and_expiry(committed):
    person = PersonFactory()
    today = dt.date(2026, 12, 4)
    soon = IdentityDocument.objects.create(person=person, kind="id_card", number="045123456",
                                           issued_on=dt.date(2016, 12, 20),
                                           expires_on=dt.date(2026, 12, 20))  # fmt: skip
    later = IdentityDocument.objects.create(person=person, kind="passport", number="N1234567",
                                            issued_on=dt.date(2017, 1, 20),
                                            expires_on=dt.date(2027, 1, 20))  # fmt: skip
    IdentityDocument.objects.create(
        person=person,
        kind="driving_licence",
        number="AB123456",
        issued_on=dt.date(2016, 12, 1),
        expires_on=dt.date(2026, 12, 1),
    )  # fmt: skip (expired)
    assert committed(document_expiring_scan, today=today) == 1
    assert committed(document_expiring_scan, today=today) == 0  # run twice: nothing new
    assert committed(document_expiring_scan, today=today + dt.timedelta(days=1)) == 0
    event = OutboxEvent.objects.get(topic=EXPIRING).payload
    assert (event["subject"], event["data"]) == (
        person.iin,
        {"kind": "id_card", "number": "045123456", "expires_on": "2026-12-20"},
    )
    # 30 days before the passport's expiry it is announced; the card, renewed, is announced
    # again for its new expiry when that comes near.
    assert committed(document_expiring_scan, today=dt.date(2026, 12, 21)) == 1
    IdentityDocument.objects.filter(pk=soon.pk).update(expires_on=dt.date(2027, 1, 10))
    assert committed(document_expiring_scan, today=dt.date(2026, 12, 21)) == 1
    numbers = [e.payload["data"]["number"] for e in OutboxEvent.objects.order_by("created_at")]
    assert sorted(numbers) == ["045123456", "045123456", later.number]
    assert FeedEntry.objects.filter(type=EXPIRING).count() == 3


_calls: list[str] = []


def _flaky_consumer(payload: dict) -> None:
    """Fails on its first call, as a consumer whose dependency is down would."""
    _calls.append(payload["id"])
    if len(_calls) == 1:
        raise ConnectionError("the downstream service is down")


def test_a_failing_consumer_is_redelivered_and_a_duplicate_delivery_ignored(committed, monkeypatch):
    monkeypatch.setitem(core_events._consumers, BIRTH, list(core_events._consumers[BIRTH]))
    _calls.clear()
    core_events.consumer(BIRTH)(_flaky_consumer)
    mother = PersonFactory(sex="F")
    _birth(committed, mother, iin="261201600033")
    outbox = OutboxEvent.objects.get(topic=BIRTH)
    assert outbox.dispatched_at is None and "downstream service is down" in outbox.last_error
    assert FeedEntry.objects.count() == 1  # the feed's consumer succeeded regardless
    assert outbox_sweep() == 1  # the sweep redelivers: the flaky consumer succeeds now
    outbox.refresh_from_db()
    assert outbox.dispatched_at is not None and outbox.attempts == 2
    assert _calls == [outbox.payload["id"]] * 2
    # A crash after the consumers committed but before the event was marked delivered: it is
    # delivered again, and every consumer recognises it.
    OutboxEvent.objects.filter(pk=outbox.pk).update(dispatched_at=None)
    assert core_events.event_deliver(str(outbox.pk))
    assert len(_calls) == 2 and FeedEntry.objects.count() == 1
    assert ProcessedEvent.objects.filter(event_id=outbox.pk).count() == 2  # feed + flaky


def _page(mc, query: dict | None = None, **kw):
    response = mc.call(Client(), f"/r1/{EVENTS_SERVICE}", query=query, **{**ON_BEHALF, **kw})
    return response, json.loads(response.content)


def test_the_feed_through_the_gateway_pages_in_order_and_audits_each_page(committed):
    service(EVENTS_SERVICE, base_url="/data/population/1.0/events")
    grant(EVENTS_SERVICE)
    mc = machine_client()
    mother = PersonFactory(sex="F")
    for n in (41, 58, 66):
        _birth(committed, mother, iin=f"2612016000{n}")
    committed(death_register, actor=None, iin=mother.iin, death_date=dt.date(2026, 12, 2))

    response, first = _page(mc, {"limit": 3})
    assert response.status_code == 200, first
    assert [e["subject"] for e in first["events"]] == ["261201600041", "261201600058",
                                                        "261201600066"]  # fmt: skip
    response, second = _page(mc, {"after": first["next"], "limit": 3})
    assert [e["type"] for e in second["events"]] == [DEATH]
    _, empty = _page(mc, {"after": second["next"]})
    assert empty == {"events": [], "next": second["next"]}  # ask again later with the same
    _, deaths = _page(mc, {"type": DEATH})
    assert [e["subject"] for e in deaths["events"]] == [mother.iin]

    reads = list(AuditEntry.objects.filter(action="read:population.events").order_by("id"))
    # One row per person each page that carried personal data was about (the three children and
    # their mother, named in each birth; then the mother's death, twice): none for the empty one.
    by_page = [r.subject_iin for r in reads]
    assert by_page == ["261201600041", mother.iin, "261201600058", "261201600066",
                       mother.iin, mother.iin]  # fmt: skip
    births = [e["id"] for e in first["events"]]
    assert reads[1].data["events"] == births  # the mother: named in all three births
    assert reads[0].data["events"] == births[:1]
    assert reads[0].purpose == ON_BEHALF["purpose"]
    assert reads[0].data["client"] == mc.client_id
    seen_by_mother = personal_data_usage(subject_iin=mother.iin)
    assert [(e.registry, e.category) for e in seen_by_mother.entries].count(
        ("population", "events")
    ) == 3, seen_by_mother.entries
    account = UserFactory(iin=mother.iin, full_name=mother.full_name)
    browser = Client(headers={"Accept-Language": "kk"})
    browser.force_login(account)
    html = browser.get("/my/data/").content.decode()
    assert "тізілім сіз туралы тіркеген өзгерістер" in html  # the feed read, in words
    assert ": events" not in html


def test_the_feed_refuses_a_subscriber_without_a_right_and_a_direct_call():
    service(EVENTS_SERVICE, base_url="/data/population/1.0/events")
    grant(EVENTS_SERVICE)
    response, body = _page(machine_client(OTHER_ID))
    assert response.status_code == 403
    assert body["type"] == "Server.ServerProxy.AccessDenied"
    direct = Client().get("/data/population/1.0/events")
    assert direct.status_code == 401
    assert direct["Content-Type"] == "application/problem+json"
    assert not AuditEntry.objects.filter(action="read:population.events").exists()


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ({"after": "not-a-cursor"}, "/after"),
        ({"after": cursor_encode(registry="vehicles", position=1)}, "/after"),
        ({"limit": "0"}, "/limit"),
        ({"limit": "ten"}, "/limit"),
        ({"type": COMPANY}, "/type"),
    ],
)
def test_the_feed_answers_bad_queries_with_problem_json(query, pointer):
    service(EVENTS_SERVICE, base_url="/data/population/1.0/events")
    grant(EVENTS_SERVICE)
    response, body = _page(machine_client(), query)
    assert response.status_code == 400
    assert body["code"] == "events.invalid_query"
    assert [e["pointer"] for e in body["errors"]] == [pointer]


def test_the_limit_is_capped(committed, monkeypatch):
    from qyzmet.registries.change_events import views

    monkeypatch.setattr(views, "LIMIT_MAX", 1)
    service(EVENTS_SERVICE, base_url="/data/population/1.0/events")
    grant(EVENTS_SERVICE)
    mother = PersonFactory(sex="F")
    for n in (74, 82):
        _birth(committed, mother, iin=f"2612016000{n}")
    _, body = _page(machine_client(), {"limit": "100000"})
    assert [e["subject"] for e in body["events"]] == ["261201600074"]


def test_the_daily_scan_is_scheduled_and_its_task_publishes(committed, settings):
    from qyzmet.celery import app
    from qyzmet.registries.population import tasks  # noqa: F401 (a worker autodiscovers it)

    entry = settings.CELERY_BEAT_SCHEDULE["population-document-expiring-scan"]
    assert entry["schedule"] == 86400.0
    person = PersonFactory()
    IdentityDocument.objects.create(person=person, kind="passport", number="N7654321",
                                    issued_on=dt.date.today() - dt.timedelta(days=3640),
                                    expires_on=dt.date.today() + dt.timedelta(days=5))  # fmt: skip
    assert committed(app.tasks[entry["task"]].delay).get() == 1
    assert FeedEntry.objects.get().subject == person.iin


def _feed_event(subject: str) -> dict:
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": "/data/population/1.0",
        "type": DEATH, "subject": subject, "time": "2026-12-04T10:00:00Z",
        "datacontenttype": "application/json", "data": {"death_date": "2026-12-04"},
    }  # fmt: skip


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections")
@pytest.mark.django_db(transaction=True)
def test_feed_positions_follow_commit_order():
    """A transaction that appends while an earlier one has not committed waits for it, so no
    subscriber can read position 2 while position 1 is still to come."""
    first_holds, first_may_commit, second_done = (threading.Event() for _ in range(3))
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                feed_append(_feed_event("261201600017"))
                first_holds.set()
                first_may_commit.wait(10)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_holds.wait(10)
            with transaction.atomic():
                feed_append(_feed_event("261201600025"))
            second_done.set()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    assert first_holds.wait(10)
    time.sleep(0.5)
    assert not second_done.is_set()  # waiting for the first to commit: it took no position yet
    assert feed_page(registry="population", after=0, limit=10).events == []
    first_may_commit.set()
    for t in threads:
        t.join(10)
    assert not errors
    page = feed_page(registry="population", after=0, limit=10)
    assert [e["subject"] for e in page.events] == ["261201600017", "261201600025"]


def test_an_unknown_feed_is_404_in_the_callers_language():
    response = Client().get("/data/nosuch/1.0/events", headers={"Accept-Language": "ru"})
    assert response.status_code == 404
    body = json.loads(response.content)
    assert body["code"] == "events.unknown_feed"
    assert body["detail"] == "Этот реестр не публикует ленту изменений в этой версии."


def test_the_demo_people_carry_identity_cards_that_the_scan_announces(committed):
    from qyzmet.countries.kz.demo import population_generate

    today = dt.date(2026, 12, 4)
    population_generate(count=300, today=today)
    cards = IdentityDocument.objects.filter(kind="id_card")
    assert cards.count() > 100
    due = cards.filter(expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=30))
    assert due.exists()
    assert committed(document_expiring_scan, today=today) == due.count()
    assert FeedEntry.objects.filter(type=EXPIRING).count() == due.count()


def test_a_feed_of_company_events_needs_no_end_user_and_is_not_a_personal_read(committed):
    companies = "KZ/GOV/990340001032/legal_entities/events"
    service(companies, base_url="/data/legal_entities/1.0/events", personal_data=False)
    grant(companies)
    head = PersonFactory()
    committed(company_register, actor=None, bin="261240012345", name="ТОО «Жаңа»", kind="LLP",
              registered_on=dt.date(2026, 12, 3), head_iin=head.iin, address="г. Астана",
              activity_code="62010")  # fmt: skip
    response = machine_client().call(Client(), f"/r1/{companies}")
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert [(e["type"], e["subject"]) for e in body["events"]] == [(COMPANY, "261240012345")]
    assert not AuditEntry.objects.filter(kind="read").exists()
    # The population feed's events are personal: a call that does not say on whose behalf is
    # refused (by the gateway, its service being personal data; the registry checks it again).
    service(EVENTS_SERVICE, base_url="/data/population/1.0/events")
    grant(EVENTS_SERVICE)
    refused = machine_client().call(Client(), f"/r1/{EVENTS_SERVICE}")
    assert refused.status_code == 400
    assert json.loads(refused.content)["type"] == "Client.MissingUserId"
