"""The public catalogue API: what services exist, what each one asks and checks. No
authentication — this is what the state publishes about itself."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from qyzmet.catalog.package import lang_normalise
from qyzmet.catalog.selectors import (
    ServiceVersionDTO,
    agency_get,
    life_event_list,
    service_current,
    service_search,
)
from qyzmet.core.problem import not_found

from .fields import CODE_MAX
from .responses import problems

router = Router(tags=["catalog"])

Lang = Literal["kk", "ru", "en"]


class AgencyOut(Schema):
    code: str
    name: str


class FeeOut(Schema):
    amount: int | None = Field(
        description="The full fee today in minor units (tiyn); null while the fee is a number "
        "of monthly calculation indices and this year's index is not on the platform yet"
    )
    currency: str


class ServiceSummaryOut(Schema):
    code: str
    version: int
    title: str
    summary: str
    agency: AgencyOut
    fee: FeeOut
    applicants: list[str]
    life_events: list[str]
    deadline_working_days: int


class FormOut(Schema):
    jsonschema: dict[str, Any]
    ui_order: list[str]
    labels: dict[str, str]
    hints: dict[str, str]
    options: dict[str, dict[str, str]]


class EvidenceOut(Schema):
    name: str
    registry: str
    fact: str
    subject: str


class RefusalGroundOut(Schema):
    code: str
    label: str
    legal_basis: str


class ServiceDetailOut(ServiceSummaryOut):
    version_id: int
    lang: str
    guidance: str
    legal_basis: str
    form: FormOut
    evidence: list[EvidenceOut]
    result_title: str
    result_validity_days: int | None
    refusal_grounds: list[RefusalGroundOut] = Field(
        [], description="The grounds on which an application may be refused (an officer "
        "refusing names one by its code)",
    )


class LifeEventOut(Schema):
    code: str
    title: str
    description: str
    services: list[str]


class ServiceFilters(Schema):
    q: str = Field("", max_length=200, description="Words of the title or summary, any language")
    life_event: str | None = Field(None, max_length=CODE_MAX)
    lang: Lang | None = None


def _lang(request: HttpRequest, lang: str | None) -> str:
    return lang_normalise(lang or getattr(request, "LANGUAGE_CODE", None))


def _summary(service: ServiceVersionDTO, lang: str) -> dict[str, Any]:
    package = service.package
    agency = agency_get(code=service.agency_code)
    return {
        "code": service.code,
        "version": service.version,
        "title": package.title(lang),
        "summary": package.summary.get(lang),
        "agency": {
            "code": service.agency_code,
            "name": agency.name.get(lang) if agency else service.agency_code,
        },
        "fee": {"amount": package.fee.amount_if_known, "currency": package.fee.currency},
        "applicants": list(package.applicants),
        "life_events": list(package.life_events),
        "deadline_working_days": package.workflow.deadline_working_days,
    }


@router.get("/services", response=list[ServiceSummaryOut], summary="Search the services")
def services_list(request: HttpRequest, filters: Query[ServiceFilters]) -> list[dict[str, Any]]:
    """Current services matching `q` (any of kk/ru/en), optionally of one life event."""
    lang = _lang(request, filters.lang)
    found = service_search(query=filters.q, life_event=filters.life_event)
    return [_summary(s, lang) for s in found]


@router.get(
    "/services/{code}", response={200: ServiceDetailOut, **problems(404)}, summary="One service"
)
def service_detail(
    request: HttpRequest,
    code: Annotated[str, Path(max_length=CODE_MAX)],
    lang: Lang | None = None,
) -> dict[str, Any]:
    """The current version of a service: what it asks, what it checks, what it costs."""
    service = service_current(code=code)
    if service is None:
        raise not_found("service")
    chosen = _lang(request, lang)
    package = service.package
    form = package.form
    return {
        **_summary(service, chosen),
        "version_id": service.id,
        "lang": chosen,
        "guidance": package.guidance.get(chosen),
        "legal_basis": package.legal_basis.get(chosen),
        "form": {
            "jsonschema": dict(form.schema),
            "ui_order": list(form.ui_order),
            "labels": {name: text.get(chosen) for name, text in form.labels.items()},
            "hints": {name: text.get(chosen) for name, text in form.hints.items()},
            "options": {
                name: {value: text.get(chosen) for value, text in values.items()}
                for name, values in form.options.items()
            },
        },
        "evidence": [
            {"name": e.name, "registry": e.registry, "fact": e.fact, "subject": e.subject}
            for e in package.evidence
        ],
        "result_title": package.result.title.get(chosen),
        "result_validity_days": package.result.validity_days,
        "refusal_grounds": [
            {"code": g.code, "label": g.label.get(chosen),
             "legal_basis": g.legal_basis.get(chosen)}
            for g in package.refusal_grounds
        ],
    }


@router.get("/life-events", response=list[LifeEventOut], summary="Life events")
def life_events(request: HttpRequest, lang: Lang | None = None) -> list[dict[str, Any]]:
    """Life events ("I had a baby") and the services each one groups."""
    chosen = _lang(request, lang)
    return [
        {
            "code": e.code,
            "title": e.title.get(chosen),
            "description": e.description.get(chosen),
            "services": list(e.service_codes),
        }
        for e in life_event_list()
    ]
