"""The embedded default's periodic work: every entry of the beat schedule names a task that
exists and runs in-process; due entries run, others wait; a failing task does not stop the rest;
and the background thread starts once, only when the setting is on."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from qyzmet.core import scheduler
from qyzmet.core.scheduler import Schedule, schedule_tick

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_beat_entry_runs_in_process():
    schedule = Schedule.starting(settings.CELERY_BEAT_SCHEDULE, now=0.0, delay=0.0)
    ran = schedule_tick(schedule, now=1.0)
    assert sorted(ran) == sorted(settings.CELERY_BEAT_SCHEDULE)
    assert schedule.failures == {}, schedule.failures
    assert all(schedule.runs[name] == 1 for name in settings.CELERY_BEAT_SCHEDULE)


def test_only_due_entries_run_and_then_wait_a_period():
    entries = {"sweep": {"task": "qyzmet.core.tasks.outbox_sweep", "schedule": 30.0}}
    schedule = Schedule.starting(entries, now=100.0, delay=10.0)
    assert schedule_tick(schedule, now=105.0) == []
    assert schedule_tick(schedule, now=110.0) == ["sweep"]
    assert schedule_tick(schedule, now=139.0) == []
    assert schedule_tick(schedule, now=140.0) == ["sweep"]
    assert schedule.runs == {"sweep": 2}


def test_a_failing_task_is_counted_and_the_others_still_run():
    entries = {
        "broken": {"task": "qyzmet.no.such.task", "schedule": 60.0},
        "sweep": {"task": "qyzmet.core.tasks.outbox_sweep", "schedule": 60.0},
    }
    schedule = Schedule.starting(entries, now=0.0, delay=0.0)
    assert sorted(schedule_tick(schedule, now=0.0)) == ["broken", "sweep"]
    assert schedule.failures == {"broken": 1} and schedule.runs == {"sweep": 1}


def test_the_thread_starts_once_and_only_when_switched_on(monkeypatch, tmp_path, settings):
    monkeypatch.setattr(scheduler, "_started", None)
    monkeypatch.setattr(scheduler, "_held_lock_file", None)
    settings.VAR_DIR = tmp_path
    assert scheduler.scheduler_start() is None  # off in the test settings
    with override_settings(QYZMET_EMBEDDED_SCHEDULER=True, CELERY_BEAT_SCHEDULE={}):
        first = scheduler.scheduler_start(tick_seconds=3600)
        assert first is not None and scheduler._started.is_alive()
        assert scheduler.scheduler_start() is None


def test_one_process_of_the_machine_runs_the_schedule(tmp_path):
    """Another process (here: the child) holding the lock keeps this one from starting it."""
    import subprocess
    import sys

    lock = tmp_path / "scheduler.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)", str(lock)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        assert scheduler.single_instance_lock(lock) is None
    finally:
        holder.kill()
        holder.wait()
    mine = scheduler.single_instance_lock(lock)  # released with the process that held it
    assert mine is not None
    try:
        assert scheduler.single_instance_lock(lock) is None  # and now this process holds it
    finally:
        mine.close()
