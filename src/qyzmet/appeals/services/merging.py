"""Duplicates: an officer confirms (merges) or rejects (splits) a suspected duplicate."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qyzmet.core.actor import Actor
from qyzmet.core.problem import conflict

from ..models import Appeal
from .common import _appeal_locked, _audit, _check_officer, _history, _publish


@transaction.atomic
def duplicate_merge(*, actor: Actor, appeal_id: int) -> Appeal:
    """Confirm a duplicate: it is closed and answered by the original's handling."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal, triage_ok=True)
    if appeal.duplicate_of_id is None:
        raise conflict("not_a_duplicate", "This appeal is not linked to an earlier one.")
    original = Appeal.objects.get(pk=appeal.duplicate_of_id)
    before = appeal.status
    appeal.duplicate_state = "merged"
    appeal.status = Appeal.CLOSED
    appeal.is_open = False
    appeal.closed_at = timezone.now()
    appeal.organisation_code = appeal.organisation_code or original.organisation_code
    appeal.save(
        update_fields=[
            "duplicate_state",
            "status",
            "is_open",
            "closed_at",
            "organisation_code",
            "updated_at",
        ]
    )
    _history(appeal, actor=actor, action="merged", from_status=before, note=original.number or "")
    _audit(appeal, actor=actor, action="merged", data={"into": original.pk})
    _publish("appeal.merged", appeal, original_number=original.number)
    return appeal


@transaction.atomic
def duplicate_split(*, actor: Actor, appeal_id: int) -> Appeal:
    """Not the same problem after all: the link goes, the appeal is handled on its own."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal, triage_ok=True)
    if appeal.duplicate_of_id is None:
        raise conflict("not_a_duplicate", "This appeal is not linked to an earlier one.")
    original_id = appeal.duplicate_of_id
    if appeal.duplicate_state == "merged":
        appeal.status = Appeal.ROUTED if appeal.organisation_code else Appeal.REGISTERED
        appeal.is_open = True
        appeal.closed_at = None
    appeal.duplicate_of = None
    appeal.duplicate_state = ""
    appeal.duplicate_score = None
    appeal.save(
        update_fields=[
            "duplicate_of",
            "duplicate_state",
            "duplicate_score",
            "status",
            "is_open",
            "closed_at",
            "updated_at",
        ]
    )
    _history(appeal, actor=actor, action="split", from_status=appeal.status)
    _audit(appeal, actor=actor, action="split", data={"from": original_id})
    _publish("appeal.split", appeal)
    return appeal
