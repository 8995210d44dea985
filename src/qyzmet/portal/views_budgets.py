"""Open budgets, public: the agencies and years with planned against executed totals, an
agency's budget for a year per programme (table and chart), a programme over the years, and the
download of the validated Fiscal Data Package. Anonymous readers welcome; agencies are shown by
name, their pages addressed by a slug made from the name."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from qyzmet.budgets import charts, labels, selectors
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names


def _not_found_as_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Problem as problem:
            if problem.status == 404:
                raise Http404 from problem
            raise

    return wrapped


def _version(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        raise Http404
    return int(raw)


def _agency_name(code: str) -> str:
    names = organisation_names(codes={code}).get(code, {})
    return names.get(labels.lang()) or names.get("en") or ""


def _totals_row(totals: selectors.Totals) -> dict[str, str]:
    return {
        "planned": labels.millions(totals.planned),
        "adjusted": labels.millions(totals.adjusted),
        "executed": labels.millions(totals.executed),
        "pct": labels.percent(totals.execution_pct),
    }


def _png(png: bytes) -> HttpResponse:
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    patch_vary_headers(response, ("Cookie", "Accept-Language"))
    return response


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    overview = selectors.budgets_overview()
    names = organisation_names(codes={a.organisation_code for a in overview})
    lang = labels.lang()
    agencies: dict[str, dict[str, Any]] = {}
    for item in overview:
        agency = agencies.setdefault(item.slug, {
            "slug": item.slug,
            "name": names.get(item.organisation_code, {}).get(lang, ""),
            "years": [],
        })  # fmt: skip
        agency["years"].append({"year": item.fiscal_year, **_totals_row(item.totals)})
    ordered = sorted(agencies.values(), key=lambda a: a["name"])
    return render(request, "portal/budgets/index.html", {"agencies": ordered})


@require_GET
@_not_found_as_404
def year(request: HttpRequest, agency: str, year: int) -> HttpResponse:
    number = _version(request)
    detail = selectors.budget_year(slug=agency, year=year, number=number)
    programmes = [
        {
            "code": p.code,
            "name": labels.name(p.names),
            **_totals_row(p.totals),
            "subprogrammes": [
                {"name": labels.name(s.names), **_totals_row(s.totals)} for s in p.subprogrammes
            ],
        }
        for p in detail.programmes
    ]
    return render(
        request,
        "portal/budgets/year.html",
        {
            "detail": detail,
            "agency_name": _agency_name(detail.organisation_code),
            "programmes": programmes,
            "totals": _totals_row(detail.totals),
            "number": number,
            "is_latest": detail.version.number == detail.versions[0].number,
        },
    )


@require_GET
@_not_found_as_404
def year_chart(request: HttpRequest, agency: str, year: int) -> HttpResponse:
    detail = selectors.budget_year(slug=agency, year=year, number=_version(request))
    return _png(charts.year_png(detail))


@require_GET
@_not_found_as_404
def programme(request: HttpRequest, agency: str, code: str) -> HttpResponse:
    history = selectors.budget_programme(slug=agency, code=code)
    years = [{"year": y, **_totals_row(t)} for y, _v, t in history.years]
    return render(
        request,
        "portal/budgets/programme.html",
        {
            "history": history,
            "name": labels.name(history.names),
            "agency_name": _agency_name(history.organisation_code),
            "years": years,
        },
    )


@require_GET
@_not_found_as_404
def programme_chart(request: HttpRequest, agency: str, code: str) -> HttpResponse:
    return _png(charts.programme_png(selectors.budget_programme(slug=agency, code=code)))


@require_GET
@_not_found_as_404
def package(request: HttpRequest, agency: str, year: int) -> HttpResponse:
    data, number = selectors.budget_package(slug=agency, year=year, number=_version(request))
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="budget-{agency}-{year}-v{number}.zip"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
