"""Citizens' appeals: submit, list and read my own, rate, reopen; for officers the triage queue,
the inbox (earliest deadline first), routing, taking, answering, extending, merging and
splitting duplicates."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from qyzmet.appeals import selectors, services
from qyzmet.appeals.labels import place_note
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.auth import USER_AUTH

router = Router(tags=["appeals"], auth=USER_AUTH)


class AppealIn(Schema):
    text: str = Field(description="1 to 5,000 characters, in Kazakh, Russian or English")
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    category: str | None = None
    photos: list[str] = Field(default_factory=list, description="base64 JPEG/PNG, ≤ 5 × 5 MB")
    language: str = Field("kk", pattern="^(kk|ru|en)$")


class AppealOut(Schema):
    id: int
    number: str
    status: str
    is_open: bool
    text: str
    lat: float | None
    lon: float | None
    address: str
    district: str | None
    place_status: str = Field(description="point (the citizen's coordinates) | street "
                              "(approximate point from a known address) | district (from the "
                              "address, no point) | unresolved (a person will find the place)")
    place_note: str | None = Field(None, description="what the citizen should know about the "
                                   "place, in the request's language")
    category: str | None
    organisation_code: str | None
    due_date: dt.date | None
    extensions: int
    answer_text: str
    answered_at: dt.datetime | None
    rating: int | None
    duplicate_of: str | None
    photos: int
    created_at: dt.datetime


class AppealPage(Schema):
    items: list[AppealOut]
    next_cursor: str | None


class RateIn(Schema):
    rating: int


class ReasonIn(Schema):
    reason: str = Field("", max_length=5000)


class RouteIn(Schema):
    organisation_code: str = Field(min_length=1, max_length=60)
    category: str | None = None


class PlaceIn(Schema):
    lat: float | None = Field(None, description="Latitude (WGS 84), inside the jurisdiction")
    lon: float | None = Field(None, description="Longitude (WGS 84)")


class AnswerIn(Schema):
    text: str


class SuggestionOut(Schema):
    model_version: str
    category: str
    category_confidence: float | None
    organisation_code: str
    responsible_org_confidence: float | None
    threshold: float | None
    auto_routed: bool
    error: str


class TriageItem(Schema):
    appeal: AppealOut
    suggestion: SuggestionOut | None


def _out(appeal, photos: int | None = None) -> dict:
    return {
        "id": appeal.pk, "number": appeal.number, "status": appeal.status,
        "is_open": appeal.is_open, "text": appeal.text, "lat": appeal.lat, "lon": appeal.lon,
        "address": appeal.address, "district": appeal.district,
        "place_status": appeal.place_status, "place_note": place_note(appeal.place_status),
        "category": appeal.category,
        "organisation_code": appeal.organisation_code, "due_date": appeal.due_date,
        "extensions": appeal.extensions, "answer_text": appeal.answer_text,
        "answered_at": appeal.answered_at, "rating": appeal.rating,
        "duplicate_of": str(appeal.duplicate_of_id) if appeal.duplicate_of_id else None,
        "photos": photos if photos is not None
        else selectors.photo_counts(appeal_ids=[appeal.pk]).get(appeal.pk, 0),
        "created_at": appeal.created_at,
    }


def _decode_photos(photos: list[str]) -> list[bytes]:
    decoded = []
    for i, item in enumerate(photos):
        try:
            decoded.append(base64.b64decode(item, validate=True))
        except (binascii.Error, ValueError) as exc:
            detail = _("Photos must be sent as base64.")
            raise Problem(422, "photo_not_base64", _("Photo not readable"), detail,
                          [FieldError(f"/photos/{i}", detail)]) from exc
    return decoded


@router.post("", response={201: AppealOut}, summary="Submit an appeal")
def appeal_create(request: HttpRequest, payload: AppealIn):
    """The appeal gets its number at once; routing follows after it is stored."""
    appeal = services.appeal_submit(
        actor=request.user, text=payload.text, lat=payload.lat, lon=payload.lon,
        address=payload.address, category=payload.category,
        photos=_decode_photos(payload.photos), language=payload.language, source="api",
    )
    return Status(201, _out(appeal))


@router.get("", response=AppealPage, summary="My appeals")
def appeal_list(request: HttpRequest, cursor: str | None = None, limit: int = 20):
    page = selectors.appeal_list_for_citizen(user=request.user, cursor=cursor, limit=limit)
    return _page(page)


def _page(page) -> dict:
    counts = selectors.photo_counts(appeal_ids=[a.pk for a in page.items])
    return {"items": [_out(a, counts.get(a.pk, 0)) for a in page.items],
            "next_cursor": page.next_cursor}


@router.get("/triage", response=list[TriageItem], summary="Triage queue (operators)")
def triage(request: HttpRequest, limit: int = 50):
    items = selectors.triage_list(user=request.user, limit=limit)
    counts = selectors.photo_counts(appeal_ids=[a.pk for a in items])
    return [{"appeal": _out(a, counts.get(a.pk, 0)), "suggestion": a.latest_suggestion}
            for a in items]


@router.get("/inbox", response=AppealPage, summary="My organisations' appeals by deadline")
def inbox(request: HttpRequest, organisation: str | None = None, cursor: str | None = None,
          limit: int = 25):
    page = selectors.inbox_list(user=request.user, organisation_code=organisation,
                                cursor=cursor, limit=limit)
    return _page(page)


@router.get("/{appeal_id}", response=AppealOut, summary="One of my appeals")
def appeal_read(request: HttpRequest, appeal_id: int):
    return _out(selectors.appeal_get_for_citizen(user=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/rate", response=AppealOut, summary="Rate the answer (1–5)")
def appeal_rate(request: HttpRequest, appeal_id: int, payload: RateIn):
    return _out(services.appeal_rate(actor=request.user, appeal_id=appeal_id,
                                     rating=payload.rating))


@router.post("/{appeal_id}/reopen", response=AppealOut, summary="Not satisfied: reopen")
def appeal_reopen(request: HttpRequest, appeal_id: int, payload: ReasonIn):
    return _out(services.appeal_reopen(actor=request.user, appeal_id=appeal_id,
                                       reason=payload.reason))


@router.post("/{appeal_id}/route", response=AppealOut, summary="Route or re-route (officers)")
def appeal_route(request: HttpRequest, appeal_id: int, payload: RouteIn):
    return _out(services.appeal_route(actor=request.user, appeal_id=appeal_id,
                                      organisation_code=payload.organisation_code,
                                      category=payload.category))


@router.post("/{appeal_id}/place", response=AppealOut, summary="Put on the map (officers)")
def appeal_place(request: HttpRequest, appeal_id: int, payload: PlaceIn):
    """Set the point of an appeal whose address could not be placed (or correct it): triage
    operators and the responsible organisation's officers. The district follows from the point;
    422 naming `/lat` or `/lon` when one is missing or the point is outside the jurisdiction."""
    return _out(services.appeal_place_set(actor=request.user, appeal_id=appeal_id,
                                          lat=payload.lat, lon=payload.lon))


@router.post("/{appeal_id}/take", response=AppealOut, summary="Take into work (officers)")
def appeal_take(request: HttpRequest, appeal_id: int):
    return _out(services.appeal_take(actor=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/answer", response=AppealOut, summary="Answer (officers)")
def appeal_answer(request: HttpRequest, appeal_id: int, payload: AnswerIn):
    return _out(services.appeal_answer(actor=request.user, appeal_id=appeal_id,
                                       text=payload.text))


@router.post("/{appeal_id}/extend", response=AppealOut, summary="Extend the deadline once")
def appeal_extend(request: HttpRequest, appeal_id: int, payload: ReasonIn):
    return _out(services.appeal_extend(actor=request.user, appeal_id=appeal_id,
                                       reason=payload.reason))


@router.post("/{appeal_id}/merge", response=AppealOut, summary="Confirm a duplicate (officers)")
def appeal_merge(request: HttpRequest, appeal_id: int):
    return _out(services.duplicate_merge(actor=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/split", response=AppealOut, summary="Not a duplicate (officers)")
def appeal_split(request: HttpRequest, appeal_id: int):
    return _out(services.duplicate_split(actor=request.user, appeal_id=appeal_id))
