"""Registry change events through a real broker and a real Celery worker on PostgreSQL (CI's
second pass): while a consumer is down, nothing is lost; once it is back, the sweep redelivers;
each event reaches the consumer's effect exactly once and the feed exactly once, in order."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from django.db import connection

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent, ProcessedEvent
from qyzmet.registries.change_events.models import FeedEntry
from qyzmet.registries.population.services import BIRTH_REGISTERED, birth_register
from tests.payments.fault_support import ROOT, Process, database_url, wait_for
from tests.registries.factories import PersonFactory

BROKER = os.environ.get("QYZMET_TEST_BROKER_URL", "")
ON_POSTGRES = os.environ.get("QYZMET_DATABASE_URL", "").startswith("postgres")
CONSUMER = "tests.worker.registry_events_consumer"
PROCESSED = "test.registry_event_processed"  # the consumer module's audit action
EVENTS = 12

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not (BROKER and ON_POSTGRES),
        reason="needs QYZMET_TEST_BROKER_URL and PostgreSQL (production's pair: the embedded "
        "SQLite default runs background work eagerly); .ci/run provides both",
    ),
    pytest.mark.django_db(transaction=True),
]


class ConsumerWorker(Process):
    """A Celery worker that also loads the test's consumer."""

    name = "worker"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "qyzmet", "worker", "--pool=solo",
            "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--include", CONSUMER,
        ]  # fmt: skip


def _forget_connections(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def down_flag(tmp_path) -> Path:
    flag = tmp_path / "consumer-down"
    flag.touch()
    return flag


@pytest.fixture
def worker(settings, tmp_path, down_flag):
    from qyzmet.celery import app

    saved = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _forget_connections(app)
    app.conf.broker_url = BROKER
    app.conf.task_always_eager = False
    app.control.purge()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "qyzmet.settings.test",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "QYZMET_DATABASE_URL": database_url(connection.settings_dict),
        "QYZMET_CELERY_BROKER_URL": BROKER,
        "QYZMET_TEST_CONSUMER_DOWN": str(down_flag),
    }
    process = ConsumerWorker(tmp_path / "worker", env).start()
    try:
        yield process
    finally:
        process.stop()
        _forget_connections(app)
        app.conf.broker_url, app.conf.task_always_eager = saved
        print(process.output())


def test_nothing_is_lost_while_a_consumer_is_down_and_each_event_is_processed_once(
    worker, down_flag
):
    from qyzmet.core.tasks import outbox_sweep

    mother = PersonFactory(sex="F")
    for n in range(EVENTS):  # each commits; its delivery goes to the broker after commit
        birth_register(
            actor=None, iin=f"26120160{n:04d}", last_name="Ахметова", first_name="Әлия",
            birth_date=dt.date(2026, 12, 1), sex="F", mother_iin=mother.iin,
        )  # fmt: skip
    births = OutboxEvent.objects.filter(topic=BIRTH_REGISTERED)
    # The worker tried each one: the feed took it, the consumer failed; nothing is delivered.
    wait_for(lambda: births.filter(attempts__gte=1).count() == EVENTS, timeout=60,
             what="every event tried once")  # fmt: skip
    assert not births.filter(dispatched_at__isnull=False).exists(), worker.output()
    assert all("downstream service is down" in e.last_error for e in births)
    assert not AuditEntry.objects.filter(action=PROCESSED).exists()

    down_flag.unlink()  # the consumer is back
    outbox_sweep.delay()
    wait_for(lambda: not births.filter(dispatched_at__isnull=True).exists(), timeout=60,
             what="every event delivered")  # fmt: skip
    assert worker.alive()

    ids = sorted(e.payload["id"] for e in births)
    processed = AuditEntry.objects.filter(action=PROCESSED).values_list("object_id", flat=True)
    assert sorted(processed) == ids  # each exactly once, whatever retries and sweeps overlapped
    feed = list(FeedEntry.objects.order_by("position").values_list("position", "event_id"))
    assert [p for p, _ in feed] == list(range(1, EVENTS + 1))  # commit order, no gap
    assert sorted(str(e) for _, e in feed) == ids
    assert ProcessedEvent.objects.filter(event_id__in=births.values("id")).count() == 2 * EVENTS
