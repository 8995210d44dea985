"""The outbox: an event exists iff its transaction committed; consumers run once per event."""

import pytest
from django.db import transaction

from qyzmet.core import events
from qyzmet.core.models import OutboxEvent, ProcessedEvent
from qyzmet.core.tasks import outbox_sweep

received: list[dict] = []


@events.consumer("test.thing_happened")
def _record(event):
    received.append(event)


@events.consumer("test.flaky")
def _flaky(event):
    if event.get("fail"):
        raise RuntimeError("downstream is down")
    received.append(event)


@pytest.fixture(autouse=True)
def _clear():
    received.clear()


@pytest.mark.django_db(transaction=True)
def test_event_is_delivered_after_commit():
    with transaction.atomic():
        event = events.event_publish(topic="test.thing_happened", payload={"n": 1})
        assert received == []  # nothing leaves before commit
    assert [e["n"] for e in received] == [1]
    assert received[0]["event_id"] == str(event.id)
    event.refresh_from_db()
    assert event.dispatched_at is not None


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change_leaves_no_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        events.event_publish(topic="test.thing_happened", payload={"n": 2})
        raise RuntimeError("the state change failed")
    assert OutboxEvent.objects.count() == 0
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_consumer_runs_once_even_if_delivered_twice():
    with transaction.atomic():
        event = events.event_publish(topic="test.thing_happened", payload={"n": 3})
    OutboxEvent.objects.filter(id=event.id).update(dispatched_at=None)  # as if the ack was lost
    events.event_deliver(str(event.id))
    assert [e["n"] for e in received] == [3]
    assert ProcessedEvent.objects.filter(event_id=event.id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_failed_consumer_stays_pending_and_sweep_retries():
    with transaction.atomic():
        event = OutboxEvent.objects.create(topic="test.flaky", payload={"fail": True})
    assert events.event_deliver(str(event.id)) is False
    event.refresh_from_db()
    assert event.dispatched_at is None
    assert "downstream is down" in event.last_error
    OutboxEvent.objects.filter(id=event.id).update(payload={"fail": False})
    assert outbox_sweep() == 1
    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert len(received) == 1


@pytest.mark.django_db(transaction=True)
def test_in_process_delivery_tries_a_failing_consumer_once_and_leaves_it_to_the_sweep(settings):
    """With in-process background work (the embedded default) an event is delivered right after
    commit without Celery: one attempt, a failure recorded, the publisher's work unaffected."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with transaction.atomic():
        event = events.event_publish(topic="test.flaky", payload={"fail": True})
    event.refresh_from_db()
    assert event.attempts == 1 and event.dispatched_at is None
    assert "downstream is down" in event.last_error
    OutboxEvent.objects.filter(id=event.id).update(payload={"fail": False})
    assert outbox_sweep() == 1
    event.refresh_from_db()
    assert event.attempts == 2 and event.dispatched_at is not None
