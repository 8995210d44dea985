"""`enqueue_on_commit`: a task leaves only once its transaction commits, once; a rollback sends
nothing; a broker that is down is logged and never raised into the committed request."""

import logging
import time
import uuid

import pytest
from celery import Celery, shared_task
from django.db import transaction
from django.test import override_settings

from qyzmet.core.models import OutboxEvent
from qyzmet.core.tasks import enqueue_on_commit

runs: list[tuple[int, bool, int]] = []


@shared_task(bind=True, name="tests.core.enqueue_probe")
def enqueue_probe(self, n: int) -> int:
    """Records what it saw: the rows committed when it ran (a worker's view of the database)."""
    runs.append((n, bool(self.request.is_eager), OutboxEvent.objects.count()))
    return n


@shared_task(name="tests.core.enqueue_broken")
def enqueue_broken(n: int) -> None:
    raise RuntimeError(f"task {n} fails")


@pytest.fixture(autouse=True)
def _clear():
    runs.clear()


@pytest.mark.django_db(transaction=True)
def test_task_runs_once_after_commit_and_sees_the_committed_row():
    with transaction.atomic():
        OutboxEvent.objects.create(topic="test.enqueue", payload={"n": 7})
        enqueue_on_commit(enqueue_probe, 7)
        assert runs == []  # nothing leaves before the commit
    assert runs == [(7, True, 1)]  # once, eagerly (the test settings), with the row visible


@pytest.mark.django_db(transaction=True)
def test_rollback_enqueues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(enqueue_probe, 8)
        raise RuntimeError("the write fails")
    with transaction.atomic():
        enqueue_on_commit(enqueue_probe, 9)
    assert [n for n, _, _ in runs] == [9]


@pytest.mark.django_db(transaction=True)
def test_failing_in_process_run_is_logged_and_reported(caplog):
    failures: list[str] = []
    with caplog.at_level(logging.ERROR, logger="qyzmet.core.tasks"), transaction.atomic():
        enqueue_on_commit(enqueue_broken, 3, on_failure=lambda exc: failures.append(str(exc)))
    assert failures == ["task 3 fails"]
    assert "tests.core.enqueue_broken(3,) failed in-process" in caplog.text


@pytest.fixture
def memory_broker():
    """A real (in-memory) broker and a task on it, outside eager mode: what a web process with
    a worker does. Yields the task and a function that drains the queue, returning messages."""
    app = Celery("in-memory", broker="memory://", set_as_current=False)
    # The memory transport's queues are shared by the whole process: a queue of this test's own,
    # so a message another test left on the default queue is not read as ours.
    queue_name = f"enqueue-test-{uuid.uuid4().hex}"
    app.conf.update(task_always_eager=False, task_default_queue=queue_name)

    @app.task(name="tests.core.enqueue_queued")
    def queued(n: int) -> int:  # pragma: no cover - the test reads the queue, no worker runs
        return n

    def drain() -> list[dict]:
        messages = []
        with app.connection_for_read() as conn:
            queue = conn.SimpleQueue(queue_name)
            while queue.qsize():
                message = queue.get(timeout=1)
                messages.append(message.headers)
                message.ack()
        return messages

    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        yield queued, drain


@pytest.mark.django_db(transaction=True)
def test_on_a_broker_one_message_leaves_per_commit_none_on_rollback(memory_broker):
    queued, drain = memory_broker
    with transaction.atomic():
        enqueue_on_commit(queued, 1)
        assert drain() == []  # not before the commit
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(queued, 2)
        raise RuntimeError("the write fails")
    with transaction.atomic():
        enqueue_on_commit(queued, 3, countdown=60)
    messages = drain()
    assert [(m["task"], m["argsrepr"]) for m in messages] == [
        ("tests.core.enqueue_queued", "(1,)"),
        ("tests.core.enqueue_queued", "(3,)"),
    ]
    assert messages[0]["eta"] is None and messages[1]["eta"] is not None  # a retry later


@pytest.mark.django_db(transaction=True)
def test_broker_down_is_logged_not_raised(caplog):
    """A real Celery app pointed at a port nobody listens on: publishing fails for real."""
    app = Celery("broker-down", broker="redis://127.0.0.1:1/0", set_as_current=False)
    app.conf.update(
        task_always_eager=False,
        task_publish_retry=False,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
        broker_connection_timeout=1,
        redis_socket_connect_timeout=1,
    )

    @app.task(name="tests.core.enqueue_unreachable")
    def unreachable(n: int) -> int:  # pragma: no cover - never reaches a worker
        return n

    failures: list[Exception] = []
    started = time.monotonic()
    with (
        override_settings(CELERY_TASK_ALWAYS_EAGER=False),
        caplog.at_level(logging.ERROR, logger="qyzmet.core.tasks"),
        transaction.atomic(),
    ):
        OutboxEvent.objects.create(topic="test.enqueue_down", payload={})
        enqueue_on_commit(unreachable, 5, on_failure=failures.append)
    assert OutboxEvent.objects.filter(topic="test.enqueue_down").exists()  # still committed
    assert len(failures) == 1
    assert "could not enqueue tests.core.enqueue_unreachable(5,)" in caplog.text
    assert time.monotonic() - started < 10
