"""How well each agency serves: the public pages. Every number is `qyzmet.opendata.performance`
evaluated over the currently published open datasets (so anyone can reproduce it from the CSV
files), cached per data version and period. Anonymous, no JavaScript: sorting and the period
are links and a GET form."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qyzmet.catalog.selectors import services_current
from qyzmet.identity.selectors import organisation_names
from qyzmet.opendata import performance, performance_charts
from qyzmet.opendata.performance_datasets import (
    DS_AGENCY,
    DS_APPEALS_AGENCY,
    DS_DAYS,
    DS_GROUNDS,
    DS_GROUNDS_PERIOD,
    DS_PERIOD,
)

SORTS = {
    "name": lambda r: r["name"].lower(),
    "applications": lambda r: r["f"].applications,
    "within": lambda r: r["f"].within_deadline_pct,
    "median": lambda r: r["f"].median_days,
    "refusals": lambda r: r["f"].refusal_rate_pct,
    "appeals": lambda r: r["f"].appeals_in_time_pct,
    "rating": lambda r: r["f"].mean_rating,
}
CHARTS = ("applications", "within", "median")


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def _period(request: HttpRequest) -> tuple[str, list[str]]:
    """('12m' or a year, its months); anything else is the last 12 complete months."""
    value = (request.GET.get("period") or "").strip()
    if value.isdigit() and len(value) == 4 and 2000 <= int(value) <= 2100:
        return value, performance.year_months(int(value))
    return "12m", performance.last_complete_months(timezone.localdate())


def _evaluation(request: HttpRequest):
    key, months = _period(request)
    version, evaluation, years, slugs, months, grounds = performance.current(months, key)
    names = organisation_names(codes=list(evaluation))
    lang = _lang()

    def name(code: str) -> str:
        known = names.get(code) or evaluation[code].names
        return known.get(lang) or known.get("en") or _("An agency")

    periods = [("12m", _("Last 12 months"))] + [(str(y), str(y)) for y in years]
    return {
        "period": key, "months": months, "version": version, "evaluation": evaluation,
        "grounds": grounds,
        "slug_of": {code: slug for slug, code in slugs.items()}, "slugs": slugs,
        "name": name, "periods": periods, "L": _labels(), "small": _("fewer than 5"),
    }  # fmt: skip


def _labels() -> dict[str, str]:
    """Column words with a per cent sign (kept out of templates: the translate tag would look
    them up with the sign doubled)."""
    return {
        "within": _("Decided within the legal deadline, %"),
        "refusals": _("Refusal rate, %"),
        "appeals": _("Appeals answered in time, %"),
    }


def _month_label(month: str) -> str:
    return f"{month[5:7]}.{month[:4]}"


@require_GET
def performance_index(request: HttpRequest) -> HttpResponse:
    ctx = _evaluation(request)
    rows = [
        {"name": ctx["name"](code), "slug": ctx["slug_of"][code], "f": ev.total}
        for code, ev in ctx["evaluation"].items()
    ]
    sort = request.GET.get("sort") or "name"
    if sort not in SORTS:
        sort = "name"
    present = [r for r in rows if SORTS[sort](r) is not None]
    absent = sorted((r for r in rows if SORTS[sort](r) is None), key=SORTS["name"])
    present.sort(key=SORTS[sort], reverse=sort not in ("name", "median"))
    columns = [
        ("name", _("Agency")),
        ("applications", _("Applications")),
        ("within", _("Decided within the legal deadline, %")),
        ("median", _("Median working days to decision")),
        ("refusals", _("Refusal rate, %")),
        ("appeals", _("Appeals answered in time, %")),
        ("rating", _("Mean citizen rating (1–5)")),
    ]
    return render(request, "portal/performance/index.html", {
        **ctx, "rows": present + absent, "sort": sort, "columns": columns,
        "sort_label": dict(columns)[sort],
    })  # fmt: skip


def _agency(request: HttpRequest, slug: str) -> tuple[dict[str, Any], str]:
    ctx = _evaluation(request)
    code = ctx["slugs"].get(slug)
    if code is None:
        raise Http404
    return ctx, code


def _series(ev, months: list[str]) -> dict[str, list]:
    by = [ev.by_month[m] for m in months]
    return {
        "applications": [f.applications for f in by],
        "within": [None if f.within_deadline_pct is None else float(f.within_deadline_pct)
                   for f in by],
        "median": [f.median_days for f in by],
    }  # fmt: skip


def _chart_words(kind: str) -> tuple[str, str]:
    return {
        "applications": (_("Applications per month of submission"), _("Applications")),
        "within": (_("Share decided within the legal deadline"), _("Per cent")),
        "median": (_("Median working days to decision"), _("Working days")),
    }[kind]


def _alt(kind: str, months: list[str], values: list) -> str:
    title, _unit = _chart_words(kind)
    known = [(v, m) for m, v in zip(months, values, strict=True) if v is not None]
    if not known:
        return _("%(title)s: no data for this period.") % {"title": title}
    value, month = max(known)
    return _("%(title)s, by month. Highest: %(value)s in %(month)s. The same numbers are in the "
             "table below.") % {"title": title, "value": value, "month": _month_label(month)}


@require_GET
def performance_agency(request: HttpRequest, slug: str) -> HttpResponse:
    ctx, code = _agency(request, slug)
    ev = ctx["evaluation"][code]
    months = ctx["months"]
    series = _series(ev, months)
    lang = _lang()
    catalogue = services_current(codes=list(ev.by_service))
    services = sorted(
        ((catalogue[s].title(lang) if s in catalogue else _("A service no longer offered"), f)
         for s, f in ev.by_service.items()),
        key=lambda item: str(item[0]).lower(),
    )  # fmt: skip
    charts = [
        {"kind": kind, "title": _chart_words(kind)[0], "alt": _alt(kind, months, series[kind])}
        for kind in CHARTS
    ]
    top = ctx["grounds"].get(code, [])
    grounds_catalogue = services_current(codes=[t.service for t in top])
    top_grounds = [
        {"ground": t.labels.get(lang) or t.labels.get("en") or "",
         "service": grounds_catalogue[t.service].title(lang) if t.service in grounds_catalogue
         else _("A service no longer offered"),
         "refused": ctx["small"] if t.refused is None else t.refused}
        for t in top
    ]  # fmt: skip
    return render(request, "portal/performance/agency.html", {
        **ctx, "agency_name": ctx["name"](code), "slug": slug, "ev": ev, "total": ev.total,
        "month_rows": [(_month_label(m), ev.by_month[m]) for m in months],
        "services": services, "charts": charts, "top_grounds": top_grounds,
        "appeal_words": {key: ctx["small"] if value is None else value for key, value in (
            ("n", ev.total.appeals), ("answered", ev.total.appeals_answered),
            ("ratings", ev.total.ratings))},
        "downloads": [
            (DS_PERIOD, _("Performance per agency and period")),
            (DS_AGENCY, _("Applications per agency and month")),
            (DS_DAYS, _("Working days to decision per agency and month")),
            (DS_APPEALS_AGENCY, _("Appeals per agency and month")),
            (DS_GROUNDS_PERIOD, _("Refusals per service and ground over each period")),
            (DS_GROUNDS, _("Refusals per service, ground and month")),
        ],
    })  # fmt: skip


@require_GET
def performance_chart(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    if kind not in CHARTS:
        raise Http404
    ctx, code = _agency(request, slug)
    months = ctx["months"]
    values = _series(ctx["evaluation"][code], months)[kind]
    title, unit = _chart_words(kind)
    png = performance_charts.line_png(
        f"{ctx['version']}:{ctx['period']}:{code}:{kind}:{_lang()}",
        # a month without a published value is a gap (NaN breaks the line, draws no bar)
        [_month_label(m) for m in months], [float("nan") if v is None else v for v in values],
        title=title, ylabel=unit,
        bars=kind == "applications", ymax=100 if kind == "within" else None,
    )  # fmt: skip
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def performance_method(request: HttpRequest) -> HttpResponse:
    """How we count: the method in words, and the datasets it reads."""
    return render(request, "portal/performance/method.html", {"datasets": [
        (DS_PERIOD, _("Performance per agency and period")),
        (DS_AGENCY, _("Applications per agency and month")),
        (DS_DAYS, _("Working days to decision per agency and month")),
        (DS_APPEALS_AGENCY, _("Appeals per agency and month")),
        (DS_GROUNDS_PERIOD, _("Refusals per service and ground over each period")),
        (DS_GROUNDS, _("Refusals per service, ground and month")),
    ]})
