"""Background work through a real broker and a real Celery worker process (CI's second pass:
PostgreSQL + Redis). The state change commits, the outbox row is delivered by the worker, the
consumers' effects appear; an event whose enqueue was lost is picked up by the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

BROKER = os.environ.get("QYZMET_TEST_BROKER_URL", "")
ON_POSTGRES = os.environ.get("QYZMET_DATABASE_URL", "").startswith("postgres")

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (BROKER and ON_POSTGRES),
        reason="needs QYZMET_TEST_BROKER_URL and PostgreSQL (production's pair: the embedded "
        "SQLite default runs background work eagerly); .ci/run provides both",
    ),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def _forget_connections(app) -> None:
    """Drop the app's cached broker connections and producers so the next send uses the
    broker configured now."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(settings):
    from qyzmet.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _forget_connections(app)  # earlier tests may have opened a pool on the in-memory transport
    app.conf.broker_url = BROKER
    app.conf.task_always_eager = False
    app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qyzmet.settings.test",
        "QYZMET_DATABASE_URL": _database_url(),
        "QYZMET_CELERY_BROKER_URL": BROKER,
    }
    log = Path(settings.MEDIA_ROOT).parent / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "qyzmet", "worker", "--pool=solo",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        _forget_connections(app)
        app.conf.broker_url, app.conf.task_always_eager = saved
        print(log.read_text()[-3000:])


def _wait_for(predicate, timeout: float = 45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("the worker did not finish in time")


def test_worker_delivers_application_events(worker):
    from qyzmet.core.models import OutboxEvent
    from qyzmet.notifications.models import Notification
    from tests.portal.factories import catalog_loaded, citizen, submitted

    catalog_loaded()
    person = citizen()
    application = submitted(person, key="worker-1")  # commits; the event goes to the broker
    event = OutboxEvent.objects.get(topic="application.submitted",
                                    payload__application_id=application.pk)
    _wait_for(lambda: OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists())
    inapp = _wait_for(
        lambda: Notification.objects.filter(user=person, channel="inapp").first()
    )
    assert application.number in inapp.body
    email = _wait_for(
        lambda: Notification.objects.filter(user=person, channel="email", status="sent").first()
    )
    assert email.attempts >= 1
    assert worker.poll() is None  # still running: nothing crashed it


def test_sweep_delivers_an_event_whose_enqueue_was_lost(worker):
    from qyzmet.core.models import OutboxEvent, ProcessedEvent
    from qyzmet.core.tasks import outbox_sweep

    # As if the web process died between commit and enqueue: the row exists, no task was sent.
    event = OutboxEvent.objects.create(topic="nobody.listens", payload={"x": 1})
    outbox_sweep.delay()
    _wait_for(lambda: OutboxEvent.objects.filter(pk=event.pk, dispatched_at__isnull=False).exists())
    assert ProcessedEvent.objects.filter(event_id=event.pk).count() == 0
