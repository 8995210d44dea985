"""Periodic work in the embedded default, where there is no Celery beat.

Production runs `celery -A qyzmet beat` for `CELERY_BEAT_SCHEDULE` (outbox sweep, deadline
escalation, evidence retries, log sealing, ...). The embedded default (`make run`) has no broker
and no beat, and without them a missed deadline would never escalate and an application waiting
for a registry would never be retried. So the embedded web process runs the same schedule in one
background thread, calling each task in-process as the eager setting would. Every scheduled task
is safe to re-run, so a tick lost to a restart is simply done at the next one."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass
class Schedule:
    """When each entry of a beat schedule is next due (monotonic seconds), and what ran."""

    entries: dict[str, dict]
    next_due: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    @classmethod
    def starting(cls, entries: dict[str, dict], *, now: float, delay: float) -> Schedule:
        """Everything first runs `delay` seconds from `now` (after start-up), then every period."""
        return cls(entries=dict(entries), next_due={name: now + delay for name in entries})


def _task(name: str):
    from qyzmet.celery import app

    app.loader.import_default_modules()  # the apps' tasks modules, as a worker would
    return app.tasks[name]


def schedule_tick(schedule: Schedule, *, now: float) -> list[str]:
    """Run every entry that is due at `now`, in-process; returns their names. A failing task is
    logged and counted, and tried again at its next period: one broken job never stops the
    others."""
    ran = []
    for name, spec in schedule.entries.items():
        if schedule.next_due.get(name, 0.0) > now:
            continue
        schedule.next_due[name] = now + float(spec["schedule"])
        try:
            _task(spec["task"]).apply(throw=True)
            schedule.runs[name] = schedule.runs.get(name, 0) + 1
        except Exception:
            schedule.failures[name] = schedule.failures.get(name, 0) + 1
            logger.exception("scheduled task %s failed", name)
        finally:
            close_old_connections()
        ran.append(name)
    return ran


_started: threading.Thread | None = None
_lock = threading.Lock()
_held_lock_file = None  # kept open for the life of the process that runs the schedule


def single_instance_lock(path: Path):
    """An exclusive, non-blocking lock on `path`: the open file while held, None when another
    process holds it. Why: a web server with several worker processes (gunicorn) imports the
    WSGI module in each, and every periodic job would run once per worker. The operating system
    drops the lock when the process ends, so a crashed holder never blocks the next one."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 (held open on purpose)
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def scheduler_start(*, tick_seconds: float = 5.0, first_delay: float = 10.0) -> Schedule | None:
    """Start the background thread when `QYZMET_EMBEDDED_SCHEDULER` is on, in one process of
    the machine (`single_instance_lock` on `var/scheduler.lock`); returns its schedule (None
    when off, already started, or running in another process)."""
    global _started, _held_lock_file
    if not getattr(settings, "QYZMET_EMBEDDED_SCHEDULER", False):
        return None
    with _lock:
        if _started is not None:
            return None
        if _held_lock_file is None:
            _held_lock_file = single_instance_lock(Path(settings.VAR_DIR) / "scheduler.lock")
            if _held_lock_file is None:
                logger.info("embedded scheduler: another process runs it")
                return None
        schedule = Schedule.starting(
            settings.CELERY_BEAT_SCHEDULE, now=time.monotonic(), delay=first_delay
        )

        def loop() -> None:
            while True:
                time.sleep(tick_seconds)
                schedule_tick(schedule, now=time.monotonic())

        _started = threading.Thread(target=loop, name="qyzmet-scheduler", daemon=True)
        _started.start()
    logger.info("embedded scheduler: %d periodic tasks", len(schedule.entries))
    return schedule
