"""The catalogue pages: home, the service list with search and life-event filter, and one
service's page. Read-only and anonymous; every text comes from the package in the language the
citizen chose."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qyzmet.catalog.package import lang_normalise
from qyzmet.catalog.selectors import (
    ServiceVersionDTO,
    agency_get,
    life_event_get,
    life_event_list,
    service_current,
    service_search,
)
from qyzmet.ui.money import money_display

# What the citizen is told we look up, by (registry, fact): never the technical names.
FACT_LABELS = {
    ("population", "person"): _("Personal details from the population register"),
    ("population", "children"): _("Your children, from the population register"),
    ("population", "family"): _("Your family, from the population register"),
    ("legal_entities", "entity"): _("Company details from the register of legal entities"),
    ("legal_entities", "entities_of_person"): _(
        "Companies you are linked to, from the register of legal entities"
    ),
    ("legal_entities", "ie_status"): _(
        "Your entrepreneur registration, from the register of legal entities"
    ),
}
APPLICANT_LABELS = {"citizen": _("Individuals"), "business": _("Businesses")}
FEATURED_COUNT = 6
QUERY_MAX_LENGTH = 200


@dataclass(frozen=True)
class ServiceCard:
    code: str
    title: str
    summary: str
    agency: str
    fee_amount: int
    fee_currency: str
    fee_display: str
    deadline_working_days: int


def _lang() -> str:
    return lang_normalise(get_language())


def _agency_name(code: str, lang: str) -> str:
    agency = agency_get(code=code)
    return agency.name.get(lang) if agency else code


def _card(service: ServiceVersionDTO, lang: str) -> ServiceCard:
    package = service.package
    return ServiceCard(
        code=service.code,
        title=package.title(lang),
        summary=package.summary.get(lang),
        agency=_agency_name(service.agency_code, lang),
        fee_amount=package.fee.amount,
        fee_currency=package.fee.currency,
        fee_display=money_display(
            amount=package.fee.amount, currency=package.fee.currency, lang=lang
        ),
        deadline_working_days=package.workflow.deadline_working_days,
    )


def _events(lang: str) -> list[dict[str, object]]:
    return [
        {
            "code": e.code,
            "title": e.title.get(lang),
            "description": e.description.get(lang),
            "count": len(e.service_codes),
        }
        for e in life_event_list()
    ]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    featured = [_card(s, lang) for s in service_search()[:FEATURED_COUNT]]
    return render(
        request,
        "portal/catalog/home.html",
        {"life_events": _events(lang), "featured": featured},
    )


@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    event_code = request.GET.get("life_event", "").strip() or None
    event = life_event_get(code=event_code) if event_code else None
    services = service_search(query=query, life_event=event.code if event else None)
    cards = sorted((_card(s, lang) for s in services), key=lambda c: c.title.casefold())
    return render(
        request,
        "portal/catalog/list.html",
        {
            "query": query,
            "life_event": (
                {"code": event.code, "title": event.title.get(lang)} if event else None
            ),
            "life_events": _events(lang),
            "services": cards,
        },
    )


@require_GET
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    service = service_current(code=code)
    if service is None:
        raise Http404("no such service")
    lang = _lang()
    package = service.package
    events = {e.code: e for e in life_event_list()}
    return render(
        request,
        "portal/catalog/detail.html",
        {
            "service": _card(service, lang),
            "version": service.version,
            "guidance": package.guidance.get(lang),
            "legal_basis": package.legal_basis.get(lang),
            "applicants": [str(APPLICANT_LABELS.get(a, a)) for a in package.applicants],
            "fields": [
                {
                    "label": package.form.label(name, lang),
                    "required": name in package.form.required,
                }
                for name in package.form.ui_order
            ],
            "evidence": list(
                dict.fromkeys(
                    str(FACT_LABELS.get((e.registry, e.fact), e.name)) for e in package.evidence
                )
            ),
            "result_title": package.result.title.get(lang),
            "validity_days": package.result.validity_days,
            "life_events": [
                {"code": c, "title": events[c].title.get(lang)}
                for c in package.life_events
                if c in events
            ],
            "apply_url": f"/services/{service.code}/apply/",
        },
    )
