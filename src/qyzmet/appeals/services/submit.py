"""Accepting an appeal: place resolution, photos, the duplicate link, the media fetch."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qyzmet.core.actor import Actor, actor_row
from qyzmet.core.tasks import enqueue_on_commit

from .. import events, gazetteer
from ..config import appeals_pack
from ..duplicates import degrees_box, distance_m, similarity
from ..models import Appeal, AppealPhoto, Open311ApiKey
from ..routing import district_for
from ..validation import (
    category_validate,
    media_url_validate,
    outside_jurisdiction,
    photos_validate,
    place_validate,
    text_validate,
)
from .common import LANGUAGES, _audit, _due, _history, _publish, _today


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
        assert place.lat is not None and place.lon is not None  # a street is resolved to a point
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
    actor: Actor | None,
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
        citizen=actor_row(actor),
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
        assert place.lat is not None and place.lon is not None  # a point has coordinates
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
        from ..tasks import media_fetch_task  # the tasks module imports this one

        # A broker that is down leaves the appeal `pending`: `media_fetch_sweep` hands it over
        # again later. Slow: the embedded web process fetches in a thread, never in the POST.
        enqueue_on_commit(media_fetch_task, appeal.pk, slow=True)
    return appeal


def _duplicate_link(appeal: Appeal) -> None:
    """Link to the earlier appeal about the same problem at the same place, if there is one."""
    lat, lon = appeal.lat, appeal.lon
    if lat is None or lon is None:
        return
    pack = appeals_pack()
    since = timezone.now() - dt.timedelta(days=pack.duplicate_window_days)
    dlat, dlon = degrees_box(lat, pack.duplicate_max_distance_m)
    candidates = (
        Appeal.objects.filter(
            created_at__gte=since,
            lat__range=(lat - dlat, lat + dlat),
            lon__range=(lon - dlon, lon + dlon),
        )
        .exclude(pk=appeal.pk)
        .exclude(duplicate_state="merged")
        .only("pk", "text", "lat", "lon", "duplicate_of_id")
        .order_by("created_at", "pk")[:200]
    )
    best: tuple[float, Appeal] | None = None
    for other in candidates:
        if other.lat is None or other.lon is None:  # excluded by the ranges; for the type
            continue
        if distance_m(lat, lon, other.lat, other.lon) > pack.duplicate_max_distance_m:
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
