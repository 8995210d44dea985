"""Reading appeals: the citizen's own, the triage queue, an organisation's inbox (earliest
deadline first, keyset pages), suggestions, analytics aggregates and training records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek

from qyzmet.core.pagination import Page, cursor_decode, cursor_encode, page_limit
from qyzmet.core.problem import Problem, forbidden, not_found

from .models import Appeal, AppealEvent, AppealPhoto, RoutingCorrection, RoutingSuggestion
from .services import handler_organisations, user_can_triage, user_handles


def appeal_list_for_citizen(*, user, cursor: str | None = None, limit: int = 20) -> Page:
    limit = page_limit(limit)
    qs = Appeal.objects.filter(citizen_id=user.pk).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=int(cursor_decode(cursor).get("i", 0)))
    items = list(qs[: limit + 1])
    nxt = cursor_encode({"i": items[limit - 1].pk}) if len(items) > limit else None
    return Page(items[:limit], nxt)


def appeal_get_for_citizen(*, user, appeal_id: int) -> Appeal:
    appeal = Appeal.objects.filter(pk=appeal_id, citizen_id=getattr(user, "pk", None)).first()
    if appeal is None:
        raise not_found("appeal")
    return appeal


def _require_officer(user) -> None:
    if not (handler_organisations(user=user) or user_can_triage(user=user)):
        raise forbidden("Only officers who handle appeals may see this.")


def appeal_get_for_officer(*, user, appeal_id: int) -> Appeal:
    """For officers of the responsible organisation and triage operators; 404 to others."""
    _require_officer(user)
    appeal = Appeal.objects.select_related("duplicate_of").filter(pk=appeal_id).first()
    if appeal is None:
        raise not_found("appeal")
    if user_handles(user=user, organisation_code=appeal.organisation_code):
        return appeal
    if user_can_triage(user=user):
        return appeal
    raise not_found("appeal")


def triage_list(*, user, limit: int = 50) -> list[Appeal]:
    """Open appeals without an organisation, oldest first, each with its latest suggestion."""
    if not user_can_triage(user=user):
        raise forbidden("Only triage operators see the triage queue.")
    appeals = list(
        Appeal.objects.filter(is_open=True, organisation_code__isnull=True)
        .order_by("created_at", "id")[: page_limit(limit)]
    )
    latest: dict[int, RoutingSuggestion] = {}
    for s in RoutingSuggestion.objects.filter(appeal_id__in=[a.pk for a in appeals]).order_by(
        "appeal_id", "-created_at", "-id"
    ):
        latest.setdefault(s.appeal_id, s)
    for a in appeals:
        a.latest_suggestion = latest.get(a.pk)
    return appeals


def inbox_list(
    *, user, organisation_code: str | None = None, cursor: str | None = None, limit: int = 25
) -> Page:
    """Open appeals of the officer's organisations, earliest deadline first (keyset pages on
    (due_date, id): stable while new appeals arrive, constant cost per page)."""
    orgs = handler_organisations(user=user)
    if not orgs:
        raise forbidden("Only officers of an organisation have an inbox.")
    if organisation_code:
        if organisation_code not in orgs:
            raise not_found("organisation")
        orgs = {organisation_code}
    limit = page_limit(limit)
    qs = Appeal.objects.filter(organisation_code__in=sorted(orgs), is_open=True).order_by(
        "due_date", "id")
    if cursor:
        data = cursor_decode(cursor)
        try:
            due = dt.date.fromisoformat(data["d"])
            last = int(data["i"])
        except (KeyError, ValueError, TypeError) as exc:
            raise Problem(400, "invalid_cursor", "Invalid cursor",
                          "The cursor is not valid.") from exc
        qs = qs.filter(Q(due_date__gt=due) | Q(due_date=due, id__gt=last))
    items = list(qs[: limit + 1])
    nxt = None
    if len(items) > limit:
        tail = items[limit - 1]
        nxt = cursor_encode({"d": tail.due_date.isoformat(), "i": tail.pk})
    return Page(items[:limit], nxt)


def appeal_history(*, appeal_id: int) -> list[AppealEvent]:
    return list(AppealEvent.objects.filter(appeal_id=appeal_id).order_by("created_at", "id"))


def appeal_photos(*, appeal_id: int) -> list[AppealPhoto]:
    return list(AppealPhoto.objects.filter(appeal_id=appeal_id).defer("content").order_by("id"))


def appeal_photo(*, appeal_id: int, photo_id: int) -> AppealPhoto:
    photo = AppealPhoto.objects.filter(appeal_id=appeal_id, pk=photo_id).first()
    if photo is None:
        raise not_found("photo")
    return photo


def appeal_suggestions(*, appeal_id: int) -> list[RoutingSuggestion]:
    return list(RoutingSuggestion.objects.filter(appeal_id=appeal_id))


def suggestion_log(*, cursor: str | None = None, limit: int = 50) -> Page:
    limit = page_limit(limit)
    qs = RoutingSuggestion.objects.select_related("appeal").order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=int(cursor_decode(cursor).get("i", 0)))
    items = list(qs[: limit + 1])
    nxt = cursor_encode({"i": items[limit - 1].pk}) if len(items) > limit else None
    return Page(items[:limit], nxt)


def corrections_list(*, limit: int = 200) -> list[RoutingCorrection]:
    return list(RoutingCorrection.objects.order_by("-id")[:limit])


def appeal_by_token(*, token: str) -> Appeal | None:
    try:
        return Appeal.objects.filter(token=token).first()
    except Exception:  # not a UUID
        return None


def open311_requests(
    *, ids: list[int] | None = None, service_codes: list[str] | None = None,
    start: dt.datetime | None = None, end: dt.datetime | None = None,
    status: list[str] | None = None, limit: int = 1000,
) -> list[Appeal]:
    qs = Appeal.objects.all().order_by("-created_at", "-id")
    if ids is not None:
        return list(qs.filter(pk__in=ids)[:limit])
    if service_codes:
        qs = qs.filter(category__in=service_codes)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lte=end)
    if status and set(status) != {"open", "closed"}:
        qs = qs.filter(is_open="open" in status)
    return list(qs[:limit])


def analytics(*, since: dt.date | None = None) -> dict[str, Any]:
    """Counts for the analytics page: per category, district and organisation, per week, the
    deadline compliance of answered appeals, and the points for the hot-spot map."""
    qs = Appeal.objects.all()
    if since:
        qs = qs.filter(created_at__date__gte=since)

    def counts(field: str) -> list[tuple[str, int]]:
        rows = qs.values(field).annotate(n=Count("id")).order_by("-n", field)
        return [(r[field] or "—", r["n"]) for r in rows]

    weekly = [
        (r["week"].date() if hasattr(r["week"], "date") else r["week"], r["n"])
        for r in qs.annotate(week=TruncWeek("created_at")).values("week")
        .annotate(n=Count("id")).order_by("week")
    ]
    answered = qs.filter(answered_on_time__isnull=False)
    on_time = answered.filter(answered_on_time=True).count()
    total_answered = answered.count()
    points = list(qs.filter(lat__isnull=False).values_list("lat", "lon")[:20000])
    return {
        "total": qs.count(),
        "by_category": counts("category"),
        "by_district": counts("district"),
        "by_organisation": counts("organisation_code"),
        "weekly": weekly,
        "answered": total_answered,
        "on_time": on_time,
        "compliance": (on_time / total_answered) if total_answered else None,
        "points": points,
    }


def training_records() -> list[dict[str, Any]]:
    """Closed appeals as training rows (the JSONL shape of the model), with the labels people
    finally decided: our category code and our organisation code."""
    rows = []
    qs = Appeal.objects.filter(
        is_open=False, category__isnull=False, organisation_code__isnull=False
    ).exclude(duplicate_state="merged").order_by("id")
    for a in qs.iterator():
        rows.append({
            "id": a.number, "text": a.text,
            "created": a.created_at.replace(tzinfo=None).isoformat(),
            "district": a.district, "lat": a.lat, "lon": a.lon, "address": a.address or None,
            "category": a.category, "reason": a.reason or a.category,
            "responsible_org": a.organisation_code,
        })
    return rows


def threshold_overrides() -> dict[str, float]:
    from .models import CategoryThreshold

    return dict(CategoryThreshold.objects.values_list("category", "threshold"))


def photo_counts(*, appeal_ids: list[int]) -> dict[int, int]:
    """Photos per appeal for a page of appeals, in one query."""
    rows = (AppealPhoto.objects.filter(appeal_id__in=appeal_ids).values("appeal_id")
            .annotate(n=Count("id")).values_list("appeal_id", "n"))
    return dict(rows)
