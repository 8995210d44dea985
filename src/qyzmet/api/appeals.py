"""Citizens' appeals: submit, list and read my own, rate, reopen; for officers the triage queue,
the inbox (earliest deadline first), routing, taking, answering, extending, merging and
splitting duplicates."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field
from pydantic.json_schema import JsonDict

from qyzmet.appeals import selectors, services
from qyzmet.appeals.labels import place_note
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.auth import USER_AUTH

from .fields import CODE_MAX, CURSOR_MAX, LIMIT_DESCRIPTION, ObjectId, service_checked
from .responses import problems

router = Router(tags=["appeals"], auth=USER_AUTH)
# The limits appeals.validation enforces (with its own codes: text_too_long, too_many_photos, …).
PHOTO_B64_MAX = 4 * -(-5 * 1024 * 1024 // 3)  # base64 of 5 MB
LATITUDE: JsonDict = {"minimum": -90, "maximum": 90}
LONGITUDE: JsonDict = {"minimum": -180, "maximum": 180}


class AppealIn(Schema):
    text: str = service_checked(
        max_length=5000, description="1 to 5,000 characters, in Kazakh, Russian or English"
    )
    lat: float | None = Field(None, json_schema_extra=LATITUDE)
    lon: float | None = Field(None, json_schema_extra=LONGITUDE)
    address: str = service_checked("", max_length=300)
    category: str | None = service_checked(None, max_length=CODE_MAX)
    photos: list[str] = Field(
        default_factory=list,
        description="base64 JPEG/PNG, ≤ 5 × 5 MB",
        json_schema_extra={"maxItems": 5, "items": {"type": "string", "maxLength": PHOTO_B64_MAX}},
    )
    language: str = Field("kk", max_length=2, pattern="^(kk|ru|en)$")


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
    rating: int = Field(json_schema_extra={"minimum": 1, "maximum": 5})


class ReasonIn(Schema):
    reason: str = Field("", max_length=5000)


class RouteIn(Schema):
    organisation_code: str = Field(min_length=1, max_length=60)
    category: str | None = Field(None, max_length=CODE_MAX)


class PlaceIn(Schema):
    lat: float | None = Field(
        None, description="Latitude (WGS 84), inside the jurisdiction", json_schema_extra=LATITUDE
    )
    lon: float | None = Field(None, description="Longitude (WGS 84)", json_schema_extra=LONGITUDE)


class AnswerIn(Schema):
    text: str = service_checked(max_length=10000, description="1 to 10,000 characters")


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


# What the operations on one appeal answer: the appeal, or why not.
ONE_APPEAL = {200: AppealOut, **problems(404)}
CITIZEN_ACTION = {200: AppealOut, **problems(404, 409)}
OFFICER_ACTION = {200: AppealOut, **problems(403, 404, 409)}


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


@router.post(
    "", response={201: AppealOut, **problems(413, 415)}, summary="Submit an appeal"
)
def appeal_create(request: HttpRequest, payload: AppealIn):
    """The appeal gets its number at once; routing follows after it is stored."""
    appeal = services.appeal_submit(
        actor=request.user, text=payload.text, lat=payload.lat, lon=payload.lon,
        address=payload.address, category=payload.category,
        photos=_decode_photos(payload.photos), language=payload.language, source="api",
    )
    return Status(201, _out(appeal))


@router.get("", response=AppealPage, summary="My appeals")
def appeal_list(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(20, description=LIMIT_DESCRIPTION),
):
    page = selectors.appeal_list_for_citizen(user=request.user, cursor=cursor, limit=limit)
    return _page(page)


def _page(page) -> dict:
    counts = selectors.photo_counts(appeal_ids=[a.pk for a in page.items])
    return {"items": [_out(a, counts.get(a.pk, 0)) for a in page.items],
            "next_cursor": page.next_cursor}


@router.get(
    "/triage", response={200: list[TriageItem], **problems(403)}, summary="Triage queue (operators)"
)
def triage(request: HttpRequest, limit: int = Query(50, description=LIMIT_DESCRIPTION)):
    items = selectors.triage_list(user=request.user, limit=limit)
    counts = selectors.photo_counts(appeal_ids=[a.pk for a in items])
    return [{"appeal": _out(a, counts.get(a.pk, 0)), "suggestion": a.latest_suggestion}
            for a in items]


@router.get(
    "/inbox",
    response={200: AppealPage, **problems(403, 404)},
    summary="My organisations' appeals by deadline",
)
def inbox(
    request: HttpRequest,
    organisation: str | None = Query(None, max_length=CODE_MAX),
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(25, description=LIMIT_DESCRIPTION),
):
    page = selectors.inbox_list(user=request.user, organisation_code=organisation,
                                cursor=cursor, limit=limit)
    return _page(page)


@router.get("/{appeal_id}", response=ONE_APPEAL, summary="One of my appeals")
def appeal_read(request: HttpRequest, appeal_id: ObjectId):
    return _out(selectors.appeal_get_for_citizen(user=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/rate", response=CITIZEN_ACTION, summary="Rate the answer (1–5)")
def appeal_rate(request: HttpRequest, appeal_id: ObjectId, payload: RateIn):
    return _out(services.appeal_rate(actor=request.user, appeal_id=appeal_id,
                                     rating=payload.rating))


@router.post("/{appeal_id}/reopen", response=CITIZEN_ACTION, summary="Not satisfied: reopen")
def appeal_reopen(request: HttpRequest, appeal_id: ObjectId, payload: ReasonIn):
    return _out(services.appeal_reopen(actor=request.user, appeal_id=appeal_id,
                                       reason=payload.reason))


@router.post("/{appeal_id}/route", response=OFFICER_ACTION, summary="Route or re-route (officers)")
def appeal_route(request: HttpRequest, appeal_id: ObjectId, payload: RouteIn):
    return _out(services.appeal_route(actor=request.user, appeal_id=appeal_id,
                                      organisation_code=payload.organisation_code,
                                      category=payload.category))


@router.post("/{appeal_id}/place", response=OFFICER_ACTION, summary="Put on the map (officers)")
def appeal_place(request: HttpRequest, appeal_id: ObjectId, payload: PlaceIn):
    """Set the point of an appeal whose address could not be placed (or correct it): triage
    operators and the responsible organisation's officers. The district follows from the point;
    422 naming `/lat` or `/lon` when one is missing or the point is outside the jurisdiction."""
    return _out(services.appeal_place_set(actor=request.user, appeal_id=appeal_id,
                                          lat=payload.lat, lon=payload.lon))


@router.post("/{appeal_id}/take", response=OFFICER_ACTION, summary="Take into work (officers)")
def appeal_take(request: HttpRequest, appeal_id: ObjectId):
    return _out(services.appeal_take(actor=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/answer", response=OFFICER_ACTION, summary="Answer (officers)")
def appeal_answer(request: HttpRequest, appeal_id: ObjectId, payload: AnswerIn):
    return _out(services.appeal_answer(actor=request.user, appeal_id=appeal_id,
                                       text=payload.text))


@router.post("/{appeal_id}/extend", response=OFFICER_ACTION, summary="Extend the deadline once")
def appeal_extend(request: HttpRequest, appeal_id: ObjectId, payload: ReasonIn):
    return _out(services.appeal_extend(actor=request.user, appeal_id=appeal_id,
                                       reason=payload.reason))


@router.post("/{appeal_id}/merge", response=OFFICER_ACTION, summary="Confirm a duplicate")
def appeal_merge(request: HttpRequest, appeal_id: ObjectId):
    return _out(services.duplicate_merge(actor=request.user, appeal_id=appeal_id))


@router.post("/{appeal_id}/split", response=OFFICER_ACTION, summary="Not a duplicate (officers)")
def appeal_split(request: HttpRequest, appeal_id: ObjectId):
    return _out(services.duplicate_split(actor=request.user, appeal_id=appeal_id))
