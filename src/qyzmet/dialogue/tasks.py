"""Background work on open dialogue: marking overdue questions (beat, safe to re-run)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="qyzmet.dialogue.tasks.overdue_mark")
def overdue_mark() -> dict[str, int]:
    return services.overdue_mark()
