"""Commands that change appeals. Each is one transaction: the change, its history row, its
audit row and its outbox event commit together; routing, notifications and escalations follow
from the events after commit, so a slow or broken model never holds up accepting an appeal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qyzmet.ai import selectors as ai_selectors
from qyzmet.audit.services import audit_record
from qyzmet.core.calendar import calendar_default
from qyzmet.core.events import event_publish
from qyzmet.core.problem import FieldError, Problem, conflict, forbidden, not_found
from qyzmet.core.tasks import enqueue_on_commit
from qyzmet.identity.selectors import organisation_names, user_roles

from . import events, gazetteer, media
from .config import appeals_pack
from .duplicates import degrees_box, distance_m, similarity
from .models import (
    Appeal,
    AppealEvent,
    AppealPhoto,
    CategoryThreshold,
    Open311ApiKey,
    OrganisationAlias,
    RoutingCorrection,
    RoutingSuggestion,
)
from .routing import ModelUnavailable, district_for, model_active
from .validation import (
    PHOTO_MAX_COUNT,
    TEXT_MAX,
    category_validate,
    media_url_validate,
    outside_jurisdiction,
    photo_check,
    photos_validate,
    place_validate,
    text_validate,
)

log = logging.getLogger(__name__)

HANDLER_ROLES = {"officer", "head"}
TRIAGE_ROLE = "appeals_triage"
LANGUAGES = ("kk", "ru", "en")
DEFAULT_THRESHOLD = 1.01  # no threshold known → never automatic


def _today() -> dt.date:
    return timezone.localdate()


def _history(appeal: Appeal, *, actor, action: str, from_status: str, note: str = "") -> None:
    AppealEvent.objects.create(
        appeal=appeal,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        from_status=from_status,
        to_status=appeal.status,
        note=note,
    )


def _audit(appeal: Appeal, *, actor, action: str, data: dict | None = None) -> None:
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        kind="change",
        action=f"appeal.{action}",
        object_type="appeal",
        object_id=appeal.pk,
        subject_iin=getattr(appeal.citizen, "iin", "") if appeal.citizen_id else "",
        data=data,
    )


def _publish(topic: str, appeal: Appeal, **extra: Any) -> None:
    event_publish(topic=topic, payload={"appeal_id": appeal.pk, "number": appeal.number, **extra})


def user_can_triage(*, user) -> bool:
    """Staff, or anyone holding `appeals_triage` in some organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or any(TRIAGE_ROLE in r for r in user_roles(user=user).values())


def user_handles(*, user, organisation_code: str | None) -> bool:
    if not organisation_code or not getattr(user, "is_authenticated", False):
        return False
    return bool(user_roles(user=user).get(organisation_code, set()) & HANDLER_ROLES)


def handler_organisations(*, user) -> set[str]:
    return {code for code, roles in user_roles(user=user).items() if roles & HANDLER_ROLES}


def _due(start: dt.date, days: int) -> dt.date:
    return calendar_default().add_working_days(start, days)


# --- submitting ------------------------------------------------------------------------------


def _place(
    lat: float | None, lon: float | None, address: str
) -> tuple[gazetteer.Place, str | None]:
    """The citizen's point with its district, or what the address tells: a known house
    (approximate point, checked against the jurisdiction), a district, or unresolved. Second:
    the district the point itself gives, the only one the gazetteer may learn."""
    if lat is not None and lon is not None:
        at_point = district_for(lat, lon)
        district = at_point
        if district is None and address:
            district = gazetteer.address_resolve(address).district
        return gazetteer.Place(Appeal.PLACE_POINT, lat, lon, district), at_point
    place = gazetteer.address_resolve(address)
    if place.status == Appeal.PLACE_STREET:
        if not appeals_pack().in_jurisdiction(place.lat, place.lon):
            raise outside_jurisdiction(
                "/address",
                _("The address “%(address)s” is outside the area this service covers.")
                % {"address": address},
            )
        if place.district is None:
            place = dataclasses.replace(place, district=district_for(place.lat, place.lon))
    return place, None


@transaction.atomic
def appeal_submit(
    *,
    actor,
    text: str,
    lat: float | None = None,
    lon: float | None = None,
    address: str = "",
    category: str | None = None,
    photos: list[bytes] | None = None,
    language: str = "kk",
    source: str = "portal",
    contact: dict[str, str] | None = None,
    media_url: str = "",
    attributes: dict[str, Any] | None = None,
    api_key: Open311ApiKey | None = None,
) -> Appeal:
    """Register an appeal and give it a number at once. Everything is checked before anything is
    written; routing happens after commit (event `appeal.submitted`), and so does fetching the
    picture behind an Open311 media_url.

    An address without coordinates is looked up in the gazetteer (`place_status` says what was
    found); an address that cannot be resolved is accepted all the same and flagged
    "unresolved" for triage. An address with coordinates teaches the gazetteer."""
    text = text_validate(text)
    lat, lon, address = place_validate(lat=lat, lon=lon, address=address)
    category = category_validate(category)
    checked_photos = photos_validate(photos or [])
    media_url = media_url_validate(media_url)
    place, district_at_point = _place(lat, lon, address)
    pack = appeals_pack()
    type_code = pack.categories[category].type if category else pack.default_type
    appeal_type = pack.types.get(type_code) or pack.types[pack.default_type]
    contact = contact or {}
    appeal = Appeal.objects.create(
        source=source,
        citizen=actor if getattr(actor, "pk", None) else None,
        language=language if language in LANGUAGES else "kk",
        appeal_type=appeal_type.code,
        text=text,
        lat=place.lat,
        lon=place.lon,
        address=address,
        district=place.district,
        place_status=place.status,
        category=category,
        category_from_citizen=bool(category),
        due_date=_due(_today(), appeal_type.deadline_working_days),
        contact_email=contact.get("email", "")[:200],
        contact_first_name=contact.get("first_name", "")[:100],
        contact_last_name=contact.get("last_name", "")[:100],
        contact_phone=contact.get("phone", "")[:40],
        media_url=media_url,
        media_status=Appeal.MEDIA_PENDING if media_url else "",
        attributes=attributes or {},
        api_key=api_key,
    )
    appeal.number = f"A-{appeal.created_at:%Y}-{appeal.pk:07d}"
    appeal.save(update_fields=["number"])
    AppealPhoto.objects.bulk_create(
        AppealPhoto(appeal=appeal, content=content, content_type=kind, size=len(content))
        for content, kind in checked_photos
    )
    if place.status == Appeal.PLACE_POINT and address:
        gazetteer.gazetteer_learn(
            address=address, lat=place.lat, lon=place.lon, district=district_at_point
        )
    _history(appeal, actor=actor, action="registered", from_status="")
    if place.status == Appeal.PLACE_UNRESOLVED:
        _history(appeal, actor=None, action="place_not_resolved", from_status=appeal.status)
    _audit(appeal, actor=actor, action="submitted", data={"source": source, "place": place.status})
    _duplicate_link(appeal)
    _publish(events.SUBMITTED, appeal)
    if media_url:
        from .tasks import media_fetch_task  # the tasks module imports this one

        # A broker that is down leaves the appeal `pending`: `media_fetch_sweep` hands it over
        # again later. Slow: the embedded web process fetches in a thread, never in the POST.
        enqueue_on_commit(media_fetch_task, appeal.pk, slow=True)
    return appeal


def _duplicate_link(appeal: Appeal) -> None:
    """Link to the earlier appeal about the same problem at the same place, if there is one."""
    if appeal.lat is None:
        return
    pack = appeals_pack()
    since = timezone.now() - dt.timedelta(days=pack.duplicate_window_days)
    dlat, dlon = degrees_box(appeal.lat, pack.duplicate_max_distance_m)
    candidates = (
        Appeal.objects.filter(
            created_at__gte=since,
            lat__range=(appeal.lat - dlat, appeal.lat + dlat),
            lon__range=(appeal.lon - dlon, appeal.lon + dlon),
        )
        .exclude(pk=appeal.pk)
        .exclude(duplicate_state="merged")
        .only("pk", "text", "lat", "lon", "duplicate_of_id")
        .order_by("created_at", "pk")[:200]
    )
    best: tuple[float, Appeal] | None = None
    for other in candidates:
        if distance_m(appeal.lat, appeal.lon, other.lat, other.lon) > pack.duplicate_max_distance_m:
            continue
        score = similarity(appeal.text, other.text)
        if score >= pack.duplicate_min_similarity and (best is None or score > best[0]):
            best = (score, other)
    if best is None:
        return
    score, other = best
    appeal.duplicate_of_id = other.duplicate_of_id or other.pk
    appeal.duplicate_score = round(score, 4)
    appeal.duplicate_state = "linked"
    appeal.save(update_fields=["duplicate_of", "duplicate_score", "duplicate_state"])
    _history(
        appeal,
        actor=None,
        action="duplicate_linked",
        from_status=appeal.status,
        note=f"{appeal.duplicate_of_id}",
    )
    _publish(events.DUPLICATE_LINKED, appeal, original_id=appeal.duplicate_of_id)


# --- routing ---------------------------------------------------------------------------------


def organisation_for_label(label: str | None) -> str | None:
    """Our organisation code for a label the model predicts (an alias, or a code itself)."""
    if not label:
        return None
    alias = (
        OrganisationAlias.objects.filter(label=label)
        .values_list("organisation_code", flat=True)
        .first()
    )
    if alias:
        return alias
    return label if organisation_names(codes=[label]) else None


def threshold_for(*, category: str | None, label: str, model_thresholds: dict[str, float]) -> float:
    """A person's override for the category, else the model's own threshold, else never."""
    if category:
        override = (
            CategoryThreshold.objects.filter(category=category)
            .values_list("threshold", flat=True)
            .first()
        )
        if override is not None:
            return float(override)
    for key in (label, category):
        if key and key in model_thresholds:
            return float(model_thresholds[key])
    return DEFAULT_THRESHOLD


def _record(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.number,
        "text": appeal.text,
        "created": appeal.created_at.replace(tzinfo=None).isoformat(),
        "district": appeal.district,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address or None,
    }


def appeal_route_auto(*, appeal_id: int) -> RoutingSuggestion:
    """Ask the active model; route automatically when it is confident enough, else leave the
    appeal in the triage queue. The suggestion is logged either way, failures included."""
    appeal = Appeal.objects.filter(pk=appeal_id).first()
    if appeal is None:
        raise not_found("appeal")
    existing = appeal.suggestions.first()
    if existing is not None:
        return existing  # already routed once: re-delivery of the same event
    try:
        version, model = model_active()
        prediction = model.predict([_record(appeal)])[0]
    except ModelUnavailable as exc:
        return _suggestion_failed(appeal, exc.version, str(exc))
    except Exception as exc:  # a broken model must not lose the appeal
        return _suggestion_failed(appeal, None, f"{type(exc).__name__}: {exc}")
    pack = appeals_pack()
    category = pack.category_for_label(prediction.category)
    org = organisation_for_label(prediction.responsible_org)
    threshold = threshold_for(
        category=category, label=prediction.category, model_thresholds=version.thresholds
    )
    confident = prediction.category_confidence >= threshold
    agrees = not appeal.category_from_citizen or appeal.category == category
    # Where an appeal goes depends on its place; one whose place is unknown waits for a person.
    placed = appeal.place_status != Appeal.PLACE_UNRESOLVED
    auto = bool(
        confident
        and agrees
        and placed
        and org
        and category
        and appeal.status == Appeal.REGISTERED
        and appeal.organisation_code is None
    )
    with transaction.atomic():
        suggestion = RoutingSuggestion.objects.create(
            appeal=appeal,
            model_version_id=version.id,
            model_version=version.version,
            category_label=prediction.category or "",
            category=category or "",
            category_confidence=float(prediction.category_confidence),
            reason=prediction.reason or "",
            reason_confidence=float(prediction.reason_confidence or 0),
            responsible_org_label=prediction.responsible_org or "",
            organisation_code=org or "",
            responsible_org_confidence=float(prediction.responsible_org_confidence or 0),
            threshold=threshold,
            auto_routed=auto,
        )
        if auto:
            appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
            before = appeal.status
            appeal.category = appeal.category or category
            appeal.reason = prediction.reason or ""
            appeal.organisation_code = org
            appeal.status = Appeal.ROUTED
            appeal.save(
                update_fields=["category", "reason", "organisation_code", "status", "updated_at"]
            )
            suggestion.final_category = appeal.category or ""
            suggestion.final_organisation_code = org
            suggestion.decided_at = timezone.now()
            suggestion.save(
                update_fields=["final_category", "final_organisation_code", "decided_at"]
            )
            _history(
                appeal,
                actor=None,
                action="routed_automatically",
                from_status=before,
                note=f"{version.version} {prediction.category_confidence:.3f}",
            )
            _audit(
                appeal,
                actor=None,
                action="routed",
                data={"organisation": org, "model": version.version, "automatic": True},
            )
            _publish(events.ROUTED, appeal, organisation_code=org, automatic=True)
    return suggestion


def _suggestion_failed(appeal: Appeal, version, error: str) -> RoutingSuggestion:
    with transaction.atomic():
        suggestion = RoutingSuggestion.objects.create(
            appeal=appeal,
            model_version_id=getattr(version, "id", None),
            model_version=getattr(version, "version", ""),
            error=error[:4000],
        )
        _history(
            appeal,
            actor=None,
            action="sent_to_triage",
            from_status=appeal.status,
            note="model unavailable",
        )
    return suggestion


def _appeal_locked(appeal_id: int) -> Appeal:
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None:
        raise not_found("appeal")
    return appeal


def _check_officer(actor, appeal: Appeal, *, triage_ok: bool = False) -> None:
    """Officers of the responsible organisation; triage operators where allowed. Anyone else
    gets 'not found', so the appeal's existence is not revealed."""
    if user_handles(user=actor, organisation_code=appeal.organisation_code):
        return
    if triage_ok and user_can_triage(user=actor):
        return
    if not (handler_organisations(user=actor) or user_can_triage(user=actor)):
        raise forbidden("Only officers who handle appeals may do this.")
    raise not_found("appeal")


@transaction.atomic
def appeal_route(
    *, actor, appeal_id: int, organisation_code: str, category: str | None = None
) -> Appeal:
    """A person routes (from triage) or re-routes (from an inbox) an appeal. The decision is
    written onto the latest model suggestion and, when it differs, kept as a correction."""
    appeal = _appeal_locked(appeal_id)
    _check_officer(actor, appeal, triage_ok=True)
    if not appeal.is_open:
        raise conflict("appeal_closed", "A closed appeal cannot be re-routed.")
    if not organisation_names(codes=[organisation_code]):
        raise Problem(
            422,
            "unknown_organisation",
            "Unknown organisation",
            f"There is no organisation '{organisation_code}'.",
            [FieldError("/organisation_code", "Unknown organisation.")],
        )
    category = category_validate(category) or appeal.category
    suggestion = appeal.suggestions.first()
    before_org, before_cat, before_status = (
        appeal.organisation_code,
        appeal.category,
        appeal.status,
    )
    predicted_org = suggestion.organisation_code if suggestion else ""
    predicted_cat = suggestion.category if suggestion else ""
    from_org = before_org or predicted_org
    from_cat = before_cat or predicted_cat
    if from_org != organisation_code or (from_cat or "") != (category or ""):
        RoutingCorrection.objects.create(
            appeal=appeal,
            from_category=from_cat or "",
            to_category=category or "",
            from_organisation_code=from_org or "",
            to_organisation_code=organisation_code,
            actor=actor,
        )
    if suggestion is not None:
        suggestion.final_category = category or ""
        suggestion.final_organisation_code = organisation_code
        suggestion.decided_by = actor
        suggestion.decided_at = timezone.now()
        suggestion.save(
            update_fields=["final_category", "final_organisation_code", "decided_by", "decided_at"]
        )
    appeal.organisation_code = organisation_code
    appeal.category = category
    if appeal.status in (Appeal.REGISTERED, Appeal.IN_WORK, Appeal.ROUTED):
        appeal.status = Appeal.ROUTED
    appeal.save(update_fields=["organisation_code", "category", "status", "updated_at"])
    _history(
        appeal,
        actor=actor,
        action="rerouted" if before_org else "routed",
        from_status=before_status,
        note=organisation_code,
    )
    _audit(
        appeal,
        actor=actor,
        action="routed",
        data={"organisation": organisation_code, "from": before_org, "automatic": False},
    )
    _publish(events.ROUTED, appeal, organisation_code=organisation_code, automatic=False)
    return appeal


PLACE_REASON_MAX = 500  # why an officer moved a point: a sentence, not a report


@transaction.atomic
def appeal_place_set(*, actor, appeal_id: int, lat: Any, lon: Any, reason: str = "") -> Appeal:
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
def appeal_take(*, actor, appeal_id: int) -> Appeal:
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
def appeal_answer(*, actor, appeal_id: int, text: str) -> Appeal:
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
def appeal_extend(*, actor, appeal_id: int, reason: str) -> Appeal:
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


def _citizen_appeal(actor, appeal_id: int) -> Appeal:
    appeal = _appeal_locked(appeal_id)
    if appeal.citizen_id is None or appeal.citizen_id != getattr(actor, "pk", None):
        raise not_found("appeal")
    return appeal


@transaction.atomic
def appeal_rate(*, actor, appeal_id: int, rating: int) -> Appeal:
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
def appeal_reopen(*, actor, appeal_id: int, reason: str = "") -> Appeal:
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


# --- duplicates ------------------------------------------------------------------------------


@transaction.atomic
def duplicate_merge(*, actor, appeal_id: int) -> Appeal:
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
    _history(appeal, actor=actor, action="merged", from_status=before, note=original.number)
    _audit(appeal, actor=actor, action="merged", data={"into": original.pk})
    _publish("appeal.merged", appeal, original_number=original.number)
    return appeal


@transaction.atomic
def duplicate_split(*, actor, appeal_id: int) -> Appeal:
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


# --- governance ------------------------------------------------------------------------------


@transaction.atomic
def threshold_set(*, actor, category: str, threshold: float | None) -> None:
    """Override the auto-routing threshold of one category (None removes the override)."""
    if not ai_selectors.user_is_ai_admin(user=actor):
        raise forbidden("Only an AI administrator may change routing thresholds.")
    category_validate(category)
    if threshold is None:
        CategoryThreshold.objects.filter(category=category).delete()
    else:
        if not 0 <= float(threshold) <= 1:
            raise Problem(
                422,
                "threshold_invalid",
                "Invalid threshold",
                "A threshold is between 0 and 1.",
                [FieldError("/threshold", "Between 0 and 1.")],
            )
        CategoryThreshold.objects.update_or_create(
            category=category, defaults={"threshold": float(threshold), "set_by": actor}
        )
    audit_record(
        actor=actor,
        kind="change",
        action="appeal.threshold_set",
        object_type="category",
        object_id=category,
        data={"threshold": threshold},
    )


def api_key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def open311_key_issue(*, actor=None, name: str, raw: str | None = None) -> str:
    """A new Open311 key; returned once, stored hashed. `raw` lets the demo use a fixed key."""
    raw = raw or secrets.token_urlsafe(24)
    key, created = Open311ApiKey.objects.get_or_create(
        key_hash=api_key_hash(raw), defaults={"name": name, "prefix": raw[:8]}
    )
    if created:
        audit_record(
            actor=actor,
            kind="security",
            action="open311.key_issued",
            object_type="open311_key",
            object_id=key.pk,
            data={"name": name},
        )
    return raw


def open311_key_check(*, raw: str | None) -> Open311ApiKey | None:
    if not raw:
        return None
    return Open311ApiKey.objects.filter(key_hash=api_key_hash(raw), revoked_at__isnull=True).first()


@transaction.atomic
def organisation_alias_set(*, label: str, organisation_code: str) -> None:
    OrganisationAlias.objects.update_or_create(
        label=label, defaults={"organisation_code": organisation_code}
    )


# --- Open311 media_url ----------------------------------------------------------------------


def _media_failed(appeal_id: int, code: str, detail: str = "") -> str:
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None or appeal.media_status != Appeal.MEDIA_PENDING:
            return "skipped"
        appeal.media_status = Appeal.MEDIA_FAILED
        appeal.media_error = (f"{code}: {detail}" if detail else code)[:300]
        appeal.save(update_fields=["media_status", "media_error", "updated_at"])
        _history(
            appeal,
            actor=None,
            action="media_failed",
            from_status=appeal.status,
            note=appeal.media_error,
        )
        _audit(appeal, actor=None, action="media_failed", data={"error": appeal.media_error})
    return "failed"


def appeal_media_fetch(*, appeal_id: int, final: bool = True) -> str:
    """Fetch the picture behind the appeal's Open311 media_url and attach it as a photo, under
    the same rules as uploaded photos. The network is used outside any transaction; the
    outcome is written in a short one. Returns "fetched", "failed" (recorded on the appeal, which
    is kept), "retry" (a passing failure and not `final`) or "skipped" (nothing pending)."""
    pending = (
        Appeal.objects.filter(pk=appeal_id, media_status=Appeal.MEDIA_PENDING)
        .values_list("media_url", flat=True)
        .first()
    )
    if not pending:
        return "skipped"
    try:
        content = media.media_download(pending, policy=media.policy_from_settings())
        kind = photo_check(content, "/media_url")
    except media.MediaFetchFailed as exc:
        if exc.transient and not final:
            return "retry"
        return _media_failed(appeal_id, exc.code, exc.detail)
    except Problem as problem:
        return _media_failed(
            appeal_id, "not_image" if problem.status == 415 else problem.code, str(len(content))
        )
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None or appeal.media_status != Appeal.MEDIA_PENDING:
            return "skipped"
        if appeal.photos.count() >= PHOTO_MAX_COUNT:
            return _media_failed(appeal_id, "too_many_photos")
        AppealPhoto.objects.create(
            appeal=appeal,
            source=AppealPhoto.MEDIA_URL,
            content=content,
            content_type=kind,
            size=len(content),
        )
        appeal.media_status = Appeal.MEDIA_FETCHED
        appeal.media_error = ""
        appeal.save(update_fields=["media_status", "media_error", "updated_at"])
        _history(appeal, actor=None, action="media_attached", from_status=appeal.status)
        _audit(appeal, actor=None, action="media_attached", data={"size": len(content)})
    return "fetched"


def media_pending_ids(*, older_than: dt.timedelta, limit: int = 200) -> list[int]:
    """Appeals whose media fetch was never finished (a lost task, a broker that was down)."""
    before = timezone.now() - older_than
    return list(
        Appeal.objects.filter(media_status=Appeal.MEDIA_PENDING, updated_at__lt=before)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


# --- deadlines -------------------------------------------------------------------------------


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


# --- past appeals (history from another system) ---------------------------------------------

# Sources of appeals people submit here: never imported under, never removed in bulk.
SUBMITTED_SOURCES = frozenset({"portal", "api", "open311", "demo"})
IMPORT_KEY = "imported_id"  # in `attributes`: the appeal's id in the system it came from


@dataclasses.dataclass(frozen=True)
class PastAppeal:
    """One appeal handled elsewhere before (an earlier system, a published dataset): what the
    citizen wrote and where, how it was classified, who answered and when. Labels are the other
    system's words: the category is mapped like the routing model's labels, the organisation
    through the organisation aliases (or is one of our codes)."""

    key: str
    text: str
    created_at: dt.datetime
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    district: str | None = None
    category_label: str | None = None
    reason: str = ""
    organisation_label: str | None = None
    answered_at: dt.datetime | None = None
    closed: bool = False  # the case was finished there (not only answered)
    language: str = "ru"


def _source_check(source: str) -> str:
    max_length = Appeal._meta.get_field("source").max_length
    if not source or len(source) > max_length or source in SUBMITTED_SOURCES:
        raise ValueError(
            f"{source!r} cannot mark imported appeals: use a source of its own "
            f"(1 to {max_length} characters, not one of {sorted(SUBMITTED_SOURCES)})"
        )
    return source


def _past_row(
    item: PastAppeal,
    *,
    source: str,
    org: str | None,
    now: dt.datetime,
    today: dt.date,
    soon: dt.date,
) -> Appeal | None:
    """The appeal as it stands today after the life the record tells, or None when the record
    cannot be an appeal (no text, half a point, times in the future or out of order)."""
    pack = appeals_pack()
    text = (item.text or "").strip()[:TEXT_MAX]
    created = item.created_at
    if not text or timezone.is_naive(created) or created > now:
        return None
    answered = item.answered_at
    if answered is not None and (timezone.is_naive(answered) or not created <= answered <= now):
        return None
    lat, lon = item.lat, item.lon
    if (lat is None) != (lon is None):
        return None
    if lat is not None and not pack.in_jurisdiction(lat, lon):
        lat = lon = None
    district = (item.district or "")[:100] or None
    status = (
        Appeal.PLACE_POINT
        if lat is not None
        else Appeal.PLACE_DISTRICT
        if district
        else Appeal.PLACE_UNRESOLVED
    )
    category = pack.category_for_label(item.category_label)
    type_code = pack.categories[category].type if category else pack.default_type
    kind = pack.types.get(type_code) or pack.types[pack.default_type]
    due = _due(timezone.localdate(created), kind.deadline_working_days)
    appeal = Appeal(
        source=source,
        language=item.language if item.language in LANGUAGES else "kk",
        appeal_type=kind.code,
        text=text,
        lat=lat,
        lon=lon,
        address=(item.address or "")[:300],
        district=district,
        place_status=status,
        category=category,
        reason=(item.reason or "")[:200],
        organisation_code=org,
        due_date=due,
        attributes={IMPORT_KEY: item.key},
    )
    appeal.created_at = created
    if answered is not None:
        # Answered there: the clock stopped on the day of the answer, as `appeal_answer` does.
        appeal.answered_at = answered
        appeal.answered_on_time = timezone.localdate(answered) <= due
        appeal.status = Appeal.CLOSED if item.closed else Appeal.ANSWERED
        appeal.is_open = not item.closed
        appeal.closed_at = answered if item.closed else None
    else:
        appeal.status = Appeal.IN_WORK if org else Appeal.REGISTERED
    # Escalations that were due in the past belong to the past: they are not sent now. An
    # appeal still open whose deadline is ahead escalates like any other when it comes.
    appeal.overdue_notified = due < today
    appeal.due_soon_notified = due <= soon
    appeal.updated_at = answered or created
    return appeal


@transaction.atomic
def past_appeals_import(*, actor, source: str, appeals: Sequence[PastAppeal]) -> dict[str, int]:
    """Import appeals handled before this system (e.g. the demo's history): each is created as
    it stands today — answered (on time or late against its type's deadline in working days)
    and closed when the record says so, else still in work with its organisation (or waiting
    for triage without one) — with its own creation and answer times, and `source` marking the
    batch so it can be told apart and removed (`past_appeals_remove`).

    Idempotent by `source` and `key`: appeals already imported are skipped. Nothing is done
    per appeal: batched inserts (PostgreSQL takes them all in one statement; SQLite's limit of
    999 parameters allows ~20 appeals a statement), batched updates of the numbers and times,
    one audit row for the whole import. Because these appeals are past, none of what submitting and
    handling trigger happens for them: no history rows, no duplicate linking, no routing
    suggestion, no gazetteer learning, no outbox events (hence no notifications); escalations
    whose day has passed are marked as done."""
    source = _source_check(source)
    now = timezone.now()
    today = timezone.localdate(now)
    soon = calendar_default().add_working_days(today, 1)  # as `deadlines_flag` counts it
    done = {
        (attrs or {}).get(IMPORT_KEY)
        for attrs in Appeal.objects.filter(source=source).values_list("attributes", flat=True)
    }
    fresh: dict[str, PastAppeal] = {}
    for item in appeals:
        if item.key not in done:
            fresh.setdefault(item.key, item)
    labels = {item.organisation_label for item in fresh.values() if item.organisation_label}
    orgs = (
        dict(
            OrganisationAlias.objects.filter(label__in=labels).values_list(
                "label", "organisation_code"
            )
        )
        if labels
        else {}
    )
    unknown = labels - orgs.keys()
    if unknown:
        orgs.update({code: code for code in organisation_names(codes=unknown)})
    rows: list[Appeal] = []
    for item in sorted(fresh.values(), key=lambda i: (i.created_at, i.key)):
        row = _past_row(
            item,
            source=source,
            org=orgs.get(item.organisation_label or ""),
            now=now,
            today=today,
            soon=soon,
        )
        if row is not None:
            rows.append(row)
    if rows:
        # `created_at` and `updated_at` are set on insert whatever they hold (auto_now_add,
        # auto_now); their true values, and the numbers (which need the ids), follow in one
        # update.
        times = [(row.created_at, row.updated_at) for row in rows]
        Appeal.objects.bulk_create(rows)
        for row, (created, updated) in zip(rows, times, strict=True):
            row.created_at, row.updated_at = created, updated
            row.number = f"A-{timezone.localtime(created):%Y}-{row.pk:07d}"
        Appeal.objects.bulk_update(rows, ["created_at", "updated_at", "number"])
        audit_record(
            actor=actor if getattr(actor, "pk", None) else None,
            kind="change",
            action="appeal.past_imported",
            object_type="appeal_source",
            object_id=source,
            data={"created": len(rows), "first": rows[0].pk, "last": rows[-1].pk},
        )
    return {
        "created": len(rows),
        "existing": len(appeals) - len(fresh),
        "skipped": len(fresh) - len(rows),
    }


@transaction.atomic
def past_appeals_remove(*, actor, source: str) -> int:
    """Remove every appeal imported under `source` (never appeals people submitted here).
    Later appeals linked to one of them as a duplicate lose the link."""
    source = _source_check(source)
    ids = list(Appeal.objects.filter(source=source).values_list("pk", flat=True))
    if not ids:
        return 0
    Appeal.objects.filter(duplicate_of_id__in=ids).exclude(source=source).update(
        duplicate_of=None, duplicate_state="", duplicate_score=None
    )
    Appeal.objects.filter(pk__in=ids).delete()
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        kind="change",
        action="appeal.past_removed",
        object_type="appeal_source",
        object_id=source,
        data={"removed": len(ids)},
    )
    return len(ids)
