"""Model governance: the registry of routing models, activation and rollback (AI administrators
only), and the log of every routing suggestion with what people decided."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from qyzmet.ai import selectors as ai_selectors
from qyzmet.ai import services as ai_services
from qyzmet.appeals import selectors as appeal_selectors
from qyzmet.core.problem import forbidden
from qyzmet.identity.auth import USER_AUTH

from .fields import CURSOR_MAX, LIMIT_DESCRIPTION, ObjectId
from .responses import problems

router = Router(tags=["ai"], auth=USER_AUTH)


class ModelOut(Schema):
    id: int
    version: str
    fingerprint: str
    is_active: bool
    activated_at: dt.datetime | None
    activated_by: str
    last_load_error: str
    created_at: dt.datetime
    metrics: dict[str, Any]
    thresholds: dict[str, float]


class SuggestionLogOut(Schema):
    id: int
    appeal_number: str | None
    model_version: str
    category: str
    category_label: str
    category_confidence: float | None
    reason: str
    reason_confidence: float | None
    organisation_code: str
    responsible_org_confidence: float | None
    threshold: float | None
    auto_routed: bool
    error: str
    final_category: str
    final_organisation_code: str
    decided_at: dt.datetime | None
    created_at: dt.datetime


class SuggestionPage(Schema):
    items: list[SuggestionLogOut]
    next_cursor: str | None


def _admin(request: HttpRequest) -> None:
    if not ai_selectors.user_is_ai_admin(user=request.user):
        raise forbidden("Only AI administrators may see or change the model registry.")


def _model(mv) -> dict:
    return {
        "id": mv.id, "version": mv.version, "fingerprint": mv.fingerprint,
        "is_active": mv.is_active, "activated_at": mv.activated_at,
        "activated_by": mv.activated_by, "last_load_error": mv.last_load_error,
        "created_at": mv.created_at, "metrics": mv.metrics, "thresholds": mv.thresholds,
    }


@router.get("/models", response={200: list[ModelOut], **problems(403)}, summary="Model versions")
def model_list(request: HttpRequest):
    _admin(request)
    return [_model(mv) for mv in ai_selectors.model_list()]


@router.post(
    "/models/rollback",
    response={200: ModelOut, **problems(403, 409)},
    summary="Roll back to the previous model",
)
def model_rollback(request: HttpRequest):
    return _model(ai_services.model_rollback(actor=request.user))


@router.post(
    "/models/{version_id}/activate",
    response={200: ModelOut, **problems(403, 404, 409)},
    summary="Activate a model",
)
def model_activate(request: HttpRequest, version_id: ObjectId):
    return _model(ai_services.model_activate(actor=request.user, version_id=version_id))


@router.get(
    "/suggestions",
    response={200: SuggestionPage, **problems(403)},
    summary="Every routing suggestion",
)
def suggestions(
    request: HttpRequest,
    cursor: str | None = Query(None, max_length=CURSOR_MAX),
    limit: int = Query(50, description=LIMIT_DESCRIPTION),
):
    _admin(request)
    page = appeal_selectors.suggestion_log(cursor=cursor, limit=limit)
    items = [
        {**{f: getattr(s, f) for f in SuggestionLogOut.model_fields if hasattr(s, f)},
         "appeal_number": s.appeal.number}
        for s in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}
