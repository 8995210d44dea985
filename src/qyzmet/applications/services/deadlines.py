"""Deadlines: flag the cases due soon and overdue (celery beat; safe to re-run)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from qyzmet.core.calendar import calendar_default
from qyzmet.core.events import event_publish

from ..models import Application
from .common import _event_payload, _today


def _flag_once(*, pk: int, flag: str, topic: str) -> bool:
    """Set `flag` and publish `topic` together, once per application, whoever runs first."""
    with transaction.atomic():
        if not Application.objects.filter(pk=pk, **{flag: False}).update(**{flag: True}):
            return False
        application = Application.objects.get(pk=pk)
        event_publish(topic=topic, payload=_event_payload(application))
        return True


def deadlines_flag(*, today: dt.date | None = None) -> dict[str, int]:
    """Escalate open cases whose deadline is the next working day (`application.due_soon`) or
    already past (`application.overdue`), each once. Safe to re-run at any time."""
    today = today or _today()
    tomorrow = calendar_default().add_working_days(today, 1)
    running = Application.objects.filter(is_open=True, paused_at__isnull=True)
    counts = {"due_soon": 0, "overdue": 0}
    due_soon = running.filter(
        due_date__gte=today, due_date__lte=tomorrow, due_soon_notified=False
    ).values_list("pk", flat=True)
    for pk in list(due_soon):
        counts["due_soon"] += _flag_once(
            pk=pk, flag="due_soon_notified", topic="application.due_soon"
        )
    overdue = running.filter(due_date__lt=today, overdue_notified=False).values_list(
        "pk", flat=True
    )
    for pk in list(overdue):
        counts["overdue"] += _flag_once(
            pk=pk, flag="overdue_notified", topic="application.overdue"
        )
    return counts
