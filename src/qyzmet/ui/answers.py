"""The citizen's answers and a decision, as a person reads them: one presentation shared by the
check-your-answers page, the signing page and the confirmation, so what is confirmed, what is
signed and what is shown afterwards read the same. Labels in the reader's language, choices by
their label, dates written out for the language (`qyzmet.core.formats.date_long`), registry facts
by their label (`qyzmet.ui.labels`); never a field, option, service or agency code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from qyzmet.catalog.package import ServicePackage
from qyzmet.catalog.selectors import service_current, service_pinned
from qyzmet.core.formats import date_long
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names
from qyzmet.ui.forms import field_order, value_display
from qyzmet.ui.labels import action_button, facts_rows


@dataclass(frozen=True)
class Answer:
    """One row of a summary list: the question, the answer in words, the field it came from."""

    name: str
    label: str
    value: str


def answer_text(*, package: ServicePackage, name: str, value: Any, lang: str) -> str:
    """One answer in words: a date as the language writes it, a choice by its label, Yes/No."""
    spec = package.form.properties.get(name, {})
    if spec.get("format") == "date" and isinstance(value, str) and value:
        try:
            return date_long(dt.date.fromisoformat(value), lang)
        except ValueError:
            return value
    if value is None or value == "":
        return _("Not given")
    return value_display(form=package.form, name=name, value=value, lang=lang)


def answer_rows(*, package: ServicePackage, data: dict[str, Any], lang: str) -> list[Answer]:
    """Every question of the form in its order with the answer given (an optional question left
    empty reads "Not given"; an unchecked box "No"), so the citizen sees the whole application."""
    form = package.form
    rows = []
    for name in field_order(form):
        label = form.label(name, lang) if name in form.labels else name
        rows.append(
            Answer(
                name,
                label,
                answer_text(package=package, name=name, value=data.get(name), lang=lang),
            )
        )
    return rows


def _package_for(payload: dict[str, Any]) -> ServicePackage | None:
    """The exact package version a submission names (the one the case will be pinned to), or
    the current one of its service if that version is unknown."""
    try:
        return service_pinned(version_id=int(payload.get("version") or 0)).package
    except (Problem, ValueError, TypeError):
        service = service_current(code=str(payload.get("service", "")))
        return service.package if service is not None else None


def submission_view(payload: dict[str, Any], *, lang: str) -> dict[str, Any] | None:
    """A signed submission payload in words: the service's title, the answers and the registry
    facts it carries. None if the service is unknown (the page then shows only the purpose)."""
    package = _package_for(payload)
    if package is None:
        return None
    raw_data, raw_evidence = payload.get("data"), payload.get("evidence")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    evidence: dict[str, Any] = raw_evidence if isinstance(raw_evidence, dict) else {}
    return {
        "title": package.title(lang),
        "answers": answer_rows(package=package, data=data, lang=lang),
        "facts": facts_rows(package=package, evidence=evidence),
    }


def agency_full_name(code: str, lang: str) -> str:
    """The agency by its full name in `lang` (kk, then en, as fallbacks), never its code."""
    names = organisation_names(codes=[code]).get(code) or {} if code else {}
    return names.get(lang) or names.get("kk") or names.get("en") or ""


def decision_words(*, action: str, package: ServicePackage | None, lang: str) -> str:
    """What an officer's decision does, in words: "Approve — issue the address certificate"
    names the result document from the package; a refusal says the applicant reads the reason."""
    button = action_button(action)
    step = package.workflow.action(action) if package is not None else None
    target = package.workflow.state(step.to) if package is not None and step else None
    outcome = getattr(target, "outcome", "") if target else ""
    if outcome == "approved" and package is not None:
        return _("%(action)s — issue “%(document)s”") % {
            "action": button,
            "document": package.result.title.get(lang),
        }
    if outcome == "refused":
        return _("%(action)s — the applicant receives the reason") % {"action": button}
    return button


def decision_view(
    payload: dict[str, Any], *, application: Any, package: ServicePackage | None, lang: str
) -> dict[str, Any]:
    """A signed decision payload in words: the case, its service, the decision and what it
    does, the reason the applicant reads and the agency by its full name. `application` and
    `package` are the case as the officer may open it (None if they no longer may)."""
    return {
        "number": str(payload.get("application", "")),
        "service": package.title(lang) if package is not None else "",
        "decision": decision_words(
            action=str(payload.get("action", "")), package=package, lang=lang
        ),
        "reason": str(payload.get("reason", "")),
        "agency": agency_full_name(str(payload.get("agency", "")), lang),
        "application_id": application.pk if application is not None else None,
    }
