"""Reading appeals: the citizen's own, the triage queue, an organisation's inbox (earliest
deadline first, keyset pages), suggestions, analytics aggregates and training records."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from qyzmet.core.actor import Actor
from qyzmet.core.pagination import Page, cursor_encode, cursor_key, cursor_read, page_limit
from qyzmet.core.problem import forbidden, not_found
from qyzmet.identity.selectors import organisation_names, user_roles

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


def appeal_list_for_citizen(*, user: Actor, cursor: str | None = None, limit: int = 20) -> Page:
    limit = page_limit(limit)
    qs = Appeal.objects.filter(citizen_id=user.pk).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=cursor_read(cursor, i=cursor_key)["i"])
    items = list(qs[: limit + 1])
    nxt = cursor_encode({"i": items[limit - 1].pk}) if len(items) > limit else None
    return Page(items[:limit], nxt)


def appeal_get_for_citizen(*, user: Actor, appeal_id: int) -> Appeal:
    appeal = Appeal.objects.filter(pk=appeal_id, citizen_id=getattr(user, "pk", None)).first()
    if appeal is None:
        raise not_found("appeal")
    return appeal


def _require_officer(user: Actor) -> None:
    if not (handler_organisations(user=user) or user_can_triage(user=user)):
        raise forbidden("Only officers who handle appeals may see this.")


def appeal_get_for_officer(*, user: Actor, appeal_id: int) -> Appeal:
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


def triage_list(*, user: Actor, limit: int = 50) -> list[Appeal]:
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
    *, user: Actor, organisation_code: str | None = None, cursor: str | None = None, limit: int = 25
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
        position = cursor_read(cursor, d=dt.date.fromisoformat, i=cursor_key)
        due, last = position["d"], position["i"]
        qs = qs.filter(Q(due_date__gt=due) | Q(due_date=due, id__gt=last))
    items = list(qs[: limit + 1])
    nxt = None
    if len(items) > limit:
        tail = items[limit - 1]
        assert tail.due_date is not None  # routed (open) appeals always have a due date
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
        qs = qs.filter(id__lt=cursor_read(cursor, i=cursor_key)["i"])
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


# --- analytics ---------------------------------------------------------------------------------

# Period filter of the analytics page: whole weeks (Monday to Sunday) back from this one.
PERIODS: dict[str, int | None] = {"4w": 4, "13w": 13, "26w": 26, "52w": 52, "all": None}
DEFAULT_PERIOD = "26w"
SERIES_TOP = 6  # lines per chart: the largest values, then one line for all the others
OTHER = "__other__"  # the key of that last line
DIMENSIONS = {"category": "category", "district": "district",
              "organisation": "organisation_code"}
POINTS_MAX = 20000


def analytics_period_start(*, period: str, today: dt.date | None = None) -> dt.datetime | None:
    """The first instant of the period (a Monday, local time); None for all time."""
    weeks = PERIODS.get(period, PERIODS[DEFAULT_PERIOD])
    if weeks is None:
        return None
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    return timezone.make_aware(dt.datetime.combine(monday, dt.time.min))


def _week(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def analytics_by_week(*, dimension: str, start: dt.datetime | None = None) -> list[tuple]:
    """(week, value, appeals) for one dimension: a single GROUP BY over week and value."""
    field = DIMENSIONS[dimension]
    qs = Appeal.objects.all()
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    rows = (qs.annotate(week=TruncWeek("created_at")).values("week", field)
            .annotate(n=Count("id")).order_by("week", field))
    return [(_week(r["week"]), r[field], r["n"]) for r in rows]


def analytics_compliance_by_week(*, start: dt.datetime | None = None) -> list[tuple]:
    """(week of the answer, answered, answered on time): a single GROUP BY."""
    qs = Appeal.objects.filter(answered_on_time__isnull=False, answered_at__isnull=False)
    if start is not None:
        qs = qs.filter(answered_at__gte=start)
    rows = (qs.annotate(week=TruncWeek("answered_at")).values("week")
            .annotate(n=Count("id"), on_time=Count("id", filter=Q(answered_on_time=True)))
            .order_by("week"))
    return [(_week(r["week"]), r["n"], r["on_time"]) for r in rows]


def _weeks(first: dt.date | None, last: dt.date) -> list[dt.date]:
    if first is None:
        return []
    first -= dt.timedelta(days=first.weekday())
    last -= dt.timedelta(days=last.weekday())
    return [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def _series(rows: list[tuple], weeks: list[dt.date], top: int) -> dict[str, Any]:
    """Top `top` values by appeals in the period, each with a count per week, and the rest
    summed as OTHER; plus the totals of every value, largest first."""
    totals: dict[Any, int] = {}
    for _w, key, n in rows:
        totals[key] = totals.get(key, 0) + n
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0] or "")))
    keys = [k for k, _n in ranked[:top]]
    index = {w: i for i, w in enumerate(weeks)}
    values: dict[Any, list[int]] = {k: [0] * len(weeks) for k in keys}
    if len(ranked) > top:
        values[OTHER] = [0] * len(weeks)
    for week, key, n in rows:
        line = values.get(key) if key in values else values.get(OTHER)
        if line is not None and week in index:
            line[index[week]] += n
    return {"keys": list(values), "values": values, "totals": ranked}


def analytics(*, period: str = DEFAULT_PERIOD, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the analytics page shows for a period, in five queries whatever the number of
    appeals: one GROUP BY (week × value) per dimension, one GROUP BY per week of answer for
    deadline compliance, and the points of the hot-spot map. Totals per value and per week are
    sums of those groups, not further queries."""
    period = period if period in PERIODS else DEFAULT_PERIOD
    start = analytics_period_start(period=period, today=today)
    today = today or timezone.localdate()
    by_week = {dim: analytics_by_week(dimension=dim, start=start) for dim in DIMENSIONS}
    compliance_rows = analytics_compliance_by_week(start=start)
    first = start.date() if start is not None else min(
        [w for w, _k, _n in by_week["category"]] + [w for w, _a, _o in compliance_rows],
        default=None)
    weeks = _weeks(first, today)
    series = {dim: _series(rows, weeks, SERIES_TOP) for dim, rows in by_week.items()}
    weekly_counts: dict[dt.date, int] = {}
    for week, _key, n in by_week["category"]:
        weekly_counts[week] = weekly_counts.get(week, 0) + n
    compliance = {week: (n, on_time) for week, n, on_time in compliance_rows}
    answered = sum(n for n, _o in compliance.values())
    on_time = sum(o for _n, o in compliance.values())
    qs = Appeal.objects.filter(lat__isnull=False)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    points = list(qs.values_list("lat", "lon")[:POINTS_MAX])
    return {
        "period": period,
        "start": first,
        "weeks": weeks,
        "total": sum(weekly_counts.values()),
        "series": series,
        "by_category": [(k or "—", n) for k, n in series["category"]["totals"]],
        "by_district": [(k or "—", n) for k, n in series["district"]["totals"]],
        "by_organisation": [(k or "—", n) for k, n in series["organisation"]["totals"]],
        "weekly": [(w, weekly_counts.get(w, 0)) for w in weeks],
        "compliance_weekly": [(w, *compliance.get(w, (0, 0))) for w in weeks],
        "answered": answered,
        "on_time": on_time,
        "compliance": (on_time / answered) if answered else None,
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


# --- who handles appeals, routing lookups, Open311 keys, pending media -----------------------

HANDLER_ROLES = {"officer", "head"}
TRIAGE_ROLE = "appeals_triage"
DEFAULT_THRESHOLD = 1.01  # no threshold known → never automatic


def user_can_triage(*, user: Actor) -> bool:
    """Staff, or anyone holding `appeals_triage` in some organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff) or any(TRIAGE_ROLE in r for r in user_roles(user=user).values())


def user_handles(*, user: Actor, organisation_code: str | None) -> bool:
    if not organisation_code or not getattr(user, "is_authenticated", False):
        return False
    return bool(user_roles(user=user).get(organisation_code, set()) & HANDLER_ROLES)


def handler_organisations(*, user: Actor) -> set[str]:
    return {code for code, roles in user_roles(user=user).items() if roles & HANDLER_ROLES}


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


def api_key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def open311_key_check(*, raw: str | None) -> Open311ApiKey | None:
    if not raw:
        return None
    return Open311ApiKey.objects.filter(key_hash=api_key_hash(raw), revoked_at__isnull=True).first()


def media_pending_ids(*, older_than: dt.timedelta, limit: int = 200) -> list[int]:
    """Appeals whose media fetch was never finished (a lost task, a broker that was down)."""
    before = timezone.now() - older_than
    return list(
        Appeal.objects.filter(media_status=Appeal.MEDIA_PENDING, updated_at__lt=before)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
