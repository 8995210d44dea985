"""The catalogue pages: home, the service list with search and life-event filter, and one
service's page. Read-only and anonymous; every text comes from the package in the language the
citizen chose."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
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
from qyzmet.ui.fees import fee_unknown_short, fee_view
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
    fee_amount: int | None  # None: an MCI fee whose year's index is not known yet
    fee_currency: str
    fee_display: str
    deadline_working_days: int | None
    is_online: bool = True
    # Information services: how long it takes, in the reader's language (no working-day count).
    time_limit: str = ""


def _lang() -> str:
    return lang_normalise(get_language())


def _agency_name(code: str, lang: str) -> str:
    agency = agency_get(code=code)
    return agency.name.get(lang) if agency else code


def _card(service: ServiceVersionDTO, lang: str) -> ServiceCard:
    package = service.package
    fee_amount = package.fee.amount_if_known  # None: this year's MCI not in the country pack
    return ServiceCard(
        code=service.code,
        title=package.title(lang),
        summary=package.summary.get(lang),
        agency=_agency_name(service.agency_code, lang),
        fee_amount=fee_amount,
        fee_currency=package.fee.currency,
        fee_display=(
            money_display(amount=fee_amount, currency=package.fee.currency, lang=lang)
            if fee_amount is not None
            else fee_unknown_short(year=timezone.localdate().year)
        ),
        deadline_working_days=(
            package.workflow.deadline_working_days if package.is_online else None
        ),
        is_online=package.is_online,
        time_limit=package.information.time_limit.get(lang) if package.information else "",
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
    """Every service (online and information), or those of one life event, or a search.

    A search from a life event's page still looks through every service: the results of that
    life event come first under its name, and the others follow under "Other services", so a
    citizen who picked the wrong life event still finds what they typed."""
    lang = _lang()
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    event_code = request.GET.get("life_event", "").strip() or None
    event = life_event_get(code=event_code) if event_code else None
    if query:
        ranked = service_search(query=query, any_kind=True)  # best first
        inside = [s for s in ranked if not event or event.code in s.package.life_events]
        others = [s for s in ranked if s not in inside]
        cards = [_card(s, lang) for s in inside]
        other_cards = [_card(s, lang) for s in others]
        total = len(ranked)
    else:
        services = service_search(life_event=event.code if event else None, any_kind=True)
        cards = sorted((_card(s, lang) for s in services), key=lambda c: c.title.casefold())
        other_cards = []
        total = len(cards)
    return render(
        request,
        "portal/catalog/list.html",
        {
            "query": query,
            "life_event": ({"code": event.code, "title": event.title.get(lang)} if event else None),
            "life_events": _events(lang),
            "services": cards,
            "other_services": other_cards,
            "total": total,
        },
    )


@require_GET
def service_detail(request: HttpRequest, code: str) -> HttpResponse:
    service = service_current(code=code, any_kind=True)
    if service is None:
        raise Http404("no such service")
    lang = _lang()
    package = service.package
    events = {e.code: e for e in life_event_list()}
    life_events = [
        {"code": c, "title": events[c].title.get(lang)} for c in package.life_events if c in events
    ]
    applicants = [str(APPLICANT_LABELS.get(a, a)) for a in package.applicants]
    if not package.is_online:
        info = package.information
        # A package that is not online is an information package: the parser always gives it one.
        assert info is not None
        return render(
            request,
            "portal/catalog/detail.html",
            {
                "service": _card(service, lang),
                "version": service.version,
                "guidance": package.guidance.get(lang),
                "legal_basis": package.legal_basis.get(lang),
                "applicants": applicants,
                "life_events": life_events,
                "how": {
                    "where": info.where.get(lang),
                    "steps": [t.get(lang) for t in info.steps],
                    "eligibility": info.eligibility.get(lang),
                    "documents": [t.get(lang) for t in info.documents],
                    "time_limit": info.time_limit.get(lang),
                    "fee_note": info.fee_note.get(lang) if info.fee_note else "",
                    "link": (
                        {"url": info.link.url, "label": info.link.label.get(lang)}
                        if info.link
                        else None
                    ),
                },
            },
        )
    return render(
        request,
        "portal/catalog/detail.html",
        {
            "service": _card(service, lang),
            "version": service.version,
            "guidance": package.guidance.get(lang),
            "legal_basis": package.legal_basis.get(lang),
            "applicants": applicants,
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
            "life_events": life_events,
            "apply_url": f"/services/{service.code}/apply/",
            # In tenge (and MCI), with who pays less: what this citizen pays is shown on
            # check-your-answers, once their registry facts are read for the application.
            "fee": fee_view(package=package, lang=lang),
        },
    )
