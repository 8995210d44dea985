"""Deadlines: flagging appeals that are due soon or overdue, once each."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from qyzmet.core.calendar import calendar_default

from .. import events
from ..models import Appeal
from .common import _publish, _today


def _flag_once(*, pk: int, flag: str, topic: str) -> bool:
    with transaction.atomic():
        if not Appeal.objects.filter(pk=pk, **{flag: False}).update(**{flag: True}):
            return False
        appeal = Appeal.objects.get(pk=pk)
        _publish(topic, appeal, organisation_code=appeal.organisation_code)
        return True


def deadlines_flag(*, today: dt.date | None = None) -> dict[str, int]:
    """Escalate open, routed appeals whose deadline is the next working day or already past,
    each once per deadline. Safe to re-run."""
    today = today or _today()
    tomorrow = calendar_default().add_working_days(today, 1)
    running = Appeal.objects.filter(is_open=True, organisation_code__isnull=False).exclude(
        status=Appeal.ANSWERED
    )
    counts = {"due_soon": 0, "overdue": 0}
    for pk in list(
        running.filter(
            due_date__gte=today, due_date__lte=tomorrow, due_soon_notified=False
        ).values_list("pk", flat=True)
    ):
        counts["due_soon"] += _flag_once(pk=pk, flag="due_soon_notified", topic=events.DUE_SOON)
    for pk in list(
        running.filter(due_date__lt=today, overdue_notified=False).values_list("pk", flat=True)
    ):
        counts["overdue"] += _flag_once(pk=pk, flag="overdue_notified", topic=events.OVERDUE)
    return counts
