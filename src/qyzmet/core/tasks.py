"""Celery tasks of the outbox (they take ids, are idempotent and retry with backoff), and the one
helper every app enqueues its own tasks with after a commit (`enqueue_on_commit`)."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.db import connections, transaction

from .events import event_deliver, pending_event_ids

log = logging.getLogger(__name__)


class OutboxDeliveryFailed(Exception):
    """A consumer raised; the task retries and the sweep picks the event up later."""


@shared_task(
    bind=True,
    autoretry_for=(OutboxDeliveryFailed,),
    retry_backoff=True,
    max_retries=8,
    name="qyzmet.core.tasks.outbox_dispatch",
)
def outbox_dispatch(self: Task, event_id: str) -> None:
    if not event_deliver(event_id):
        raise OutboxDeliveryFailed(event_id)


@shared_task(name="qyzmet.core.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Deliver whatever a crash or a broker outage left in the outbox. Safe to re-run."""
    ids = pending_event_ids()
    for event_id in ids:
        event_deliver(event_id)
    return len(ids)


def enqueue_on_commit(
    task: Task,
    *args: Any,
    on_failure: Callable[[Exception], None] | None = None,
    slow: bool = False,
    countdown: float | None = None,
    **kwargs: Any,
) -> None:
    """Hand `task(*args, **kwargs)` to a worker once the surrounding transaction commits (at
    once outside one), so the worker never looks for a row that is not committed yet and a
    rolled-back write sends nothing.

    The one way Qyzmet enqueues after a write, because each hand-rolled copy got one of these
    wrong somewhere:
    - a broker that is down is logged, never raised into the request whose write has already
      committed: the work is left where a sweep (or the beat drain) finds it again, and
      `on_failure` lets the caller record the failure where people see it;
    - with in-process background work (`CELERY_TASK_ALWAYS_EAGER`: the embedded default and the
      tests) the task runs inline, through Celery's eager path (so `request.is_eager` holds); a
      failure there is logged, like a worker's would be;
    - `slow=True` (a network fetch, a training run): in the embedded web process
      (`QYZMET_EMBEDDED_SCHEDULER`) the inline run happens in a thread of its own, so the
      citizen's request does not wait for somebody else's server.
    `on_failure(exc)` runs whenever the enqueue, or the in-process run, raised.

    `countdown` (seconds) makes a worker wait before running it (a retry later); in-process
    work runs at once, as Celery's eager mode does. The helper's own options are keyword-only
    and cannot be task keyword arguments."""
    send = functools.partial(
        enqueue_now, task, *args, on_failure=on_failure, slow=slow, countdown=countdown, **kwargs
    )
    transaction.on_commit(send)


def enqueue_now(
    task: Task,
    *args: Any,
    on_failure: Callable[[Exception], None] | None = None,
    slow: bool = False,
    countdown: float | None = None,
    **kwargs: Any,
) -> None:
    """What `enqueue_on_commit` does after the commit; for callers that are already after one
    (a timer, a sweep)."""
    if slow and _eager() and getattr(settings, "QYZMET_EMBEDDED_SCHEDULER", False):
        threading.Thread(
            target=_run_in_thread, args=(task, args, kwargs, on_failure), daemon=True,
            name=f"qyzmet-{task.name.rsplit('.', 1)[-1]}",
        ).start()  # fmt: skip
        return
    try:
        if countdown is None:
            task.apply_async(args=args, kwargs=kwargs)
        else:
            task.apply_async(args=args, kwargs=kwargs, countdown=countdown)
    except Exception as exc:  # eager: the task itself failed; else the broker is unreachable
        what = "task %s%r failed in-process" if _eager() else "could not enqueue %s%r"
        log.exception(what + "; the sweep will retry", task.name, args)
        if on_failure is not None:
            on_failure(exc)


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def _run_in_thread(
    task: Task,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    on_failure: Callable[[Exception], None] | None,
) -> None:
    """Called directly, not eagerly: the task behaves as on a worker's first try (a network
    fetch's passing failure is not final), and a retry it asks for is left to its sweep."""
    try:
        task(*args, **kwargs)
    except Exception as exc:
        log.exception("task %s%r failed in its thread; the sweep will retry", task.name, args)
        if on_failure is not None:
            on_failure(exc)
    finally:
        connections.close_all()  # this thread's own connections
