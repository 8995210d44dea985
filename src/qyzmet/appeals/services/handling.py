"""Working an open appeal: moving its point, taking it, answering, extending the deadline,
the citizen's rating and reopening."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qyzmet.core.actor import Actor
from qyzmet.core.problem import FieldError, Problem, conflict

from .. import events, gazetteer
from ..config import appeals_pack
from ..models import Appeal
from ..routing import district_for
from ..validation import place_validate
from .common import (
    _appeal_locked,
    _audit,
    _check_officer,
    _citizen_appeal,
    _due,
    _history,
    _publish,
    _today,
)

PLACE_REASON_MAX = 500  # why an officer moved a point: a sentence, not a report


@transaction.atomic
def appeal_place_set(
    *, actor: Actor, appeal_id: int, lat: Any, lon: Any, reason: str = ""
) -> Appeal:
    """A person puts an appeal on the map: the gazetteer could not place its address, or the
    citizen's point was wrong. Triage operators and the responsible organisation's officers may;
    the point must be inside the jurisdiction. The district follows from the point, the history
    and the audit trail keep the change, and an appeal that has an address teaches the gazetteer,
    so the next appeal from the same house is placed by itself.

    Moving a point that was already there is its own history entry ("moved", from where to
    where) with the officer's reason, so the citizen sees that a person changed their point
    and why; the reason is kept in the audit trail too."""
    reason = (reason or "").strip()
    if len(reason) > PLACE_REASON_MAX:
        detail = _("The reason must have at most %(count)d characters.") % {
            "count": PLACE_REASON_MAX
        }
        raise Problem(422, "reason_too_long", _("Reason too long"), detail,
                      [FieldError("/reason", detail)])  # fmt: skip
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal, triage_ok=True)
    if not appeal.is_open:
        raise conflict("appeal_closed", "A closed appeal's place cannot be changed.")
    missing = [FieldError(f"/{name}", _("Required."))
               for name, value in (("lat", lat), ("lon", lon)) if value in (None, "")]  # fmt: skip
    if missing:
        raise Problem(422, "place_incomplete", _("Incomplete coordinates"),
                      _("Give both latitude and longitude."), missing)  # fmt: skip
    lat, lon, _address = place_validate(lat=lat, lon=lon, address=appeal.address)
    district = district_for(lat, lon)
    before = {"place_status": appeal.place_status, "lat": appeal.lat, "lon": appeal.lon,
              "district": appeal.district}  # fmt: skip
    appeal.lat, appeal.lon, appeal.place_status = lat, lon, Appeal.PLACE_POINT
    appeal.district = district or appeal.district
    appeal.save(update_fields=["lat", "lon", "district", "place_status", "updated_at"])
    if appeal.address:
        gazetteer.gazetteer_learn(address=appeal.address, lat=lat, lon=lon, district=district)
    moved = before["lat"] is not None and before["lon"] is not None
    note = f"{lat:.6f}, {lon:.6f}"
    if moved:
        note = f"{before['lat']:.6f}, {before['lon']:.6f} → {note}"
    if reason:
        note = f"{note} — {reason}"
    action = "place_moved" if moved else "place_set"
    _history(appeal, actor=actor, action=action, from_status=appeal.status, note=note)
    _audit(appeal, actor=actor, action=action,
           data={"lat": lat, "lon": lon, "district": appeal.district, "before": before,
                 "reason": reason})  # fmt: skip
    return appeal


@transaction.atomic
def appeal_take(*, actor: Actor, appeal_id: int) -> Appeal:
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal)
    if appeal.status not in (Appeal.ROUTED, Appeal.REOPENED):
        raise conflict("invalid_transition", f"An appeal that is {appeal.status} cannot be taken.")
    before = appeal.status
    appeal.status = Appeal.IN_WORK
    appeal.save(update_fields=["status", "updated_at"])
    _history(appeal, actor=actor, action="taken", from_status=before)
    _audit(appeal, actor=actor, action="taken")
    return appeal


@transaction.atomic
def appeal_answer(*, actor: Actor, appeal_id: int, text: str) -> Appeal:
    """The organisation's answer to the citizen; the clock stops."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal)
    if appeal.status not in (Appeal.ROUTED, Appeal.IN_WORK, Appeal.REOPENED):
        raise conflict(
            "invalid_transition", f"An appeal that is {appeal.status} cannot be answered."
        )
    text = (text or "").strip()
    if not text or len(text) > 10000:
        raise Problem(
            422,
            "answer_invalid",
            "Invalid answer",
            "The answer must have 1 to 10,000 characters.",
            [FieldError("/text", "The answer must have 1 to 10,000 characters.")],
        )
    before = appeal.status
    appeal.status = Appeal.ANSWERED
    appeal.answer_text = text
    appeal.answered_at = timezone.now()
    appeal.answered_on_time = bool(appeal.due_date and _today() <= appeal.due_date)
    appeal.save(
        update_fields=["status", "answer_text", "answered_at", "answered_on_time", "updated_at"]
    )
    _history(appeal, actor=actor, action="answered", from_status=before)
    _audit(appeal, actor=actor, action="answered")
    _publish(events.ANSWERED, appeal)
    return appeal


@transaction.atomic
def appeal_extend(*, actor: Actor, appeal_id: int, reason: str) -> Appeal:
    """Extend the deadline once (as the pack allows); the citizen is told why."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal)
    if not appeal.is_open or appeal.status == Appeal.ANSWERED:
        raise conflict("invalid_transition", "Only an appeal in work can be extended.")
    pack = appeals_pack()
    kind = pack.types.get(appeal.appeal_type) or pack.types[pack.default_type]
    if appeal.extensions >= kind.extendable_times:
        raise conflict("already_extended", "The deadline of this appeal was already extended.")
    reason = (reason or "").strip()
    if not reason:
        raise Problem(
            422,
            "reason_required",
            "Reason required",
            "Say why the deadline is extended: the citizen is told.",
            [FieldError("/reason", "Give the reason.")],
        )
    appeal.due_date = _due(appeal.due_date or _today(), kind.extension_working_days)
    appeal.extensions += 1
    appeal.due_soon_notified = appeal.overdue_notified = False
    appeal.save(
        update_fields=[
            "due_date",
            "extensions",
            "due_soon_notified",
            "overdue_notified",
            "updated_at",
        ]
    )
    _history(appeal, actor=actor, action="extended", from_status=appeal.status, note=reason[:2000])
    _audit(appeal, actor=actor, action="extended", data={"due_date": appeal.due_date.isoformat()})
    _publish(events.EXTENDED, appeal, reason=reason[:2000], due_date=appeal.due_date.isoformat())
    return appeal


@transaction.atomic
def appeal_rate(*, actor: Actor, appeal_id: int, rating: int) -> Appeal:
    """The citizen rates the answer 1–5; this closes the appeal."""
    appeal = _citizen_appeal(actor, appeal_id)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Problem(
            422,
            "rating_invalid",
            "Invalid rating",
            "Rate the answer from 1 to 5.",
            [FieldError("/rating", "Rate from 1 to 5.")],
        )
    if appeal.status not in (Appeal.ANSWERED, Appeal.CLOSED):
        raise conflict("not_answered", "Only an answered appeal can be rated.")
    before = appeal.status
    appeal.rating = rating
    appeal.status = Appeal.CLOSED
    appeal.is_open = False
    appeal.closed_at = appeal.closed_at or timezone.now()
    appeal.save(update_fields=["rating", "status", "is_open", "closed_at", "updated_at"])
    _history(appeal, actor=actor, action="rated", from_status=before, note=str(rating))
    _audit(appeal, actor=actor, action="rated", data={"rating": rating})
    return appeal


@transaction.atomic
def appeal_reopen(*, actor: Actor, appeal_id: int, reason: str = "") -> Appeal:
    """The citizen is not satisfied: the appeal goes back to the organisation with a new
    deadline."""
    appeal = _citizen_appeal(actor, appeal_id)
    if appeal.status not in (Appeal.ANSWERED, Appeal.CLOSED):
        raise conflict("not_answered", "Only an answered appeal can be reopened.")
    pack = appeals_pack()
    kind = pack.types.get(appeal.appeal_type) or pack.types[pack.default_type]
    before = appeal.status
    appeal.status = Appeal.REOPENED if appeal.organisation_code else Appeal.REGISTERED
    appeal.is_open = True
    appeal.closed_at = None
    appeal.rating = None
    appeal.reopen_count += 1
    appeal.due_date = _due(_today(), kind.deadline_working_days)
    appeal.due_soon_notified = appeal.overdue_notified = False
    appeal.save(
        update_fields=[
            "status",
            "is_open",
            "closed_at",
            "rating",
            "reopen_count",
            "due_date",
            "due_soon_notified",
            "overdue_notified",
            "updated_at",
        ]
    )
    _history(appeal, actor=actor, action="reopened", from_status=before, note=reason[:2000])
    _audit(appeal, actor=actor, action="reopened")
    _publish(events.REOPENED, appeal)
    return appeal
