"""What every command shares: the history and audit rows, the outbox event, the row lock
and the checks that an officer (or the citizen) may act on an appeal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qyzmet.audit.services import audit_record
from qyzmet.core.actor import Actor, actor_row
from qyzmet.core.calendar import calendar_default
from qyzmet.core.events import event_publish
from qyzmet.core.problem import forbidden, not_found

from ..models import Appeal, AppealEvent
from ..selectors import handler_organisations, user_can_triage, user_handles

LANGUAGES = ("kk", "ru", "en")


def _today() -> dt.date:
    return timezone.localdate()


def _history(
    appeal: Appeal, *, actor: Actor | None, action: str, from_status: str, note: str = ""
) -> None:
    AppealEvent.objects.create(
        appeal=appeal,
        actor=actor_row(actor),
        action=action,
        from_status=from_status,
        to_status=appeal.status,
        note=note,
    )


def _audit(appeal: Appeal, *, actor: Actor | None, action: str, data: dict | None = None) -> None:
    audit_record(
        actor=actor_row(actor),
        kind="change",
        action=f"appeal.{action}",
        object_type="appeal",
        object_id=appeal.pk,
        subject_iin=getattr(appeal.citizen, "iin", "") if appeal.citizen_id else "",
        data=data,
    )


def _publish(topic: str, appeal: Appeal, **extra: Any) -> None:
    event_publish(topic=topic, payload={"appeal_id": appeal.pk, "number": appeal.number, **extra})


def _due(start: dt.date, days: int) -> dt.date:
    return calendar_default().add_working_days(start, days)


def _appeal_locked(appeal_id: int) -> Appeal:
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None:
        raise not_found("appeal")
    return appeal


def _check_officer(actor: Actor, appeal: Appeal, *, triage_ok: bool = False) -> None:
    """Officers of the responsible organisation; triage operators where allowed. Anyone else
    gets 'not found', so the appeal's existence is not revealed."""
    if user_handles(user=actor, organisation_code=appeal.organisation_code):
        return
    if triage_ok and user_can_triage(user=actor):
        return
    if not (handler_organisations(user=actor) or user_can_triage(user=actor)):
        raise forbidden("Only officers who handle appeals may do this.")
    raise not_found("appeal")


def _citizen_appeal(actor: Actor, appeal_id: int) -> Appeal:
    appeal = _appeal_locked(appeal_id)
    if appeal.citizen_id is None or appeal.citizen_id != getattr(actor, "pk", None):
        raise not_found("appeal")
    return appeal
