"""Words a person reads for the machine names of applications: states, workflow actions and
registry facts. Shared by the citizen's pages and the back office, so both say the same thing.

Packages may name states and actions of their own; anything not listed here falls back to the
name with underscores turned into spaces, which is readable if untranslated."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qyzmet.catalog.package import ServicePackage
from qyzmet.exchange.registry_descriptor import registry_descriptor, registry_descriptors

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

STATUS_LABELS = {
    "draft": pgettext_lazy("application status", "Draft"),
    "submitted": pgettext_lazy("application status", "Submitted"),
    "in_review": pgettext_lazy("application status", "In review"),
    "info_requested": pgettext_lazy("application status", "More information requested"),
    "approved": pgettext_lazy("application status", "Approved"),
    "refused": pgettext_lazy("application status", "Refused"),
    "awaiting_evidence": pgettext_lazy("application status", "Waiting for registry data"),
    "awaiting_payment": pgettext_lazy("application status", "Waiting for payment"),
    "lapsed": pgettext_lazy("application status", "Lapsed: the fee was not paid in time"),
    "withdrawn": pgettext_lazy("application status", "Withdrawn"),
}

ACTION_LABELS = {
    "draft_saved": _("Draft saved"),
    "submit": _("Application submitted"),
    "take": _("Taken into review"),
    "request_info": _("More information requested"),
    "provide_info": _("Information provided"),
    "approve": _("Approved"),
    "refuse": _("Refused"),
    "evidence_received": _("Registry data received; sent to the agency"),
    "evidence_incomplete": _("Sent to the agency without some registry data"),
    "evidence_refetched": _("Registry data requested again"),
    "payment_received": _("Fee paid; sent to the agency"),
    "payment_expired": _("The fee was not paid in time"),
    "withdraw": _("Withdrawn by the applicant"),
}

# The buttons an officer presses (imperative), as opposed to the history entries above.
ACTION_BUTTONS = {
    "take": _("Take into review"),
    "request_info": _("Request more information"),
    "approve": _("Approve"),
    "refuse": _("Refuse"),
}


class _RegistryLabels(Mapping[str, Any]):
    """The state registries by the names a person knows them by (nominative: used in lists),
    read from each registry's descriptor (`label`) at lookup time, so a registry added as a
    plugin is named without an edit here. A Mapping, for callers that use `.get(code)`."""

    def __getitem__(self, code: str) -> Any:
        descriptor = registry_descriptor(code)
        if descriptor is None:
            raise KeyError(code)
        return descriptor.label

    def __iter__(self) -> Iterator[str]:
        return iter(registry_descriptors())

    def __len__(self) -> int:
        return len(registry_descriptors())


REGISTRY_LABELS: Mapping[str, Any] = _RegistryLabels()

FACT_LABELS = {
    "iin": _("IIN"),
    "full_name": _("Full name"),
    "last_name": _("Surname"),
    "first_name": _("Given name"),
    "patronymic": _("Patronymic"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "citizenship": _("Citizenship"),
    "death_date": _("Date of death"),
    "address": _("Registered address"),
    "address.full": _("Registered address"),
    "address.registered_since": _("Registered since"),
    "full": _("Address"),
    "registered_since": _("Registered since"),
    "bin": _("BIN"),
    "name": _("Name"),
    "kind": _("Kind"),
    "status": _("Status"),
    "registered_on": _("Registered on"),
    "registered": _("Registered"),
    "children": _("Children"),
    "spouse": _("Spouse"),
    "mother": _("Mother"),
    "father": _("Father"),
    # A relative's name reads under the relation itself ("Spouse: Ахметов Ерлан").
    "spouse.full_name": _("Spouse"),
    "mother.full_name": _("Mother"),
    "father.full_name": _("Father"),
    "spouse.iin": _("Spouse's IIN"),
    "has_record": _("Has a criminal record (not expunged)"),
}


def _humanise(name: str) -> str:
    return name.replace("_", " ").replace(".", " — ").capitalize()


def status_label(state: str) -> str:
    return str(STATUS_LABELS.get(state) or _humanise(state))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action) or _humanise(action))


def action_button(action: str) -> str:
    return str(ACTION_BUTTONS.get(action) or _humanise(action))


def registry_label(registry: str) -> str:
    return str(REGISTRY_LABELS.get(registry) or _humanise(registry))


def evidence_waiting_notice(*, registries: list[str]) -> str:
    """What a citizen is told while their application waits for registry data: which registry
    did not answer, that we retry by ourselves, and that they need do nothing."""
    text = _(
        "The data from the state registry (%(registries)s) could not be fetched yet. We will "
        "retry automatically and send your application to the agency as soon as the data "
        "arrives; you do not need to do anything."
    )
    return _registries_in(text, registries)


def _registries_in(text: Any, registries: list[str]) -> str:
    """`text` (a translatable message with `%(registries)s`) naming each registry once."""
    return str(text) % {"registries": ", ".join(map(registry_label, dict.fromkeys(registries)))}


def evidence_missing_notice(*, registries: list[str]) -> str:
    """What a citizen is told when their application went to the agency without some registry
    data: which registry, that the agency decides, and that it may ask them for a document."""
    text = _(
        "Some data from the state registry (%(registries)s) could not be obtained. Your "
        "application has been sent to the agency, which will review it and may ask you for "
        "a document."
    )
    return _registries_in(text, registries)


def evidence_missing_reason(code: str) -> str:
    """Why an evidence item is missing, in words (the registry's own words go beside it)."""
    reasons = {
        "registry.unavailable": _("the registry did not answer in time"),
        "registry.subject_not_found": _("the registry has no record"),
        "registry.invalid_subject": _("the identifier was not accepted by the registry"),
        "registry.refused": _("the exchange gateway refused the request"),
    }
    return str(reasons.get(code) or _("the registry refused the request"))


def evidence_missing_rows(missing: list) -> list[dict[str, str]]:
    """For the pages: each missing evidence item as the registry's name, the reason in words
    and the registry's own words (`applications.selectors.MissingEvidence` items)."""
    return [
        {"registry": registry_label(m.registry), "reason": evidence_missing_reason(m.code),
         "detail": m.detail}
        for m in missing
    ]  # fmt: skip


def fact_label(path: str) -> str:
    return str(FACT_LABELS.get(path) or _humanise(path))


def _dotted(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        else:
            return None
    return data


def _fact_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, Mapping):
        return str(value.get("full") or value.get("full_name") or value.get("name") or "—")
    if isinstance(value, list):
        return ", ".join(_fact_text(v) for v in value) or "—"
    if isinstance(value, str) and _ISO_DATE.match(value):
        return f"{value[8:10]}.{value[5:7]}.{value[0:4]}"
    return str(value)


def facts_rows(*, package: ServicePackage, evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) for the facts each evidence item says to show, in package order."""
    rows: list[tuple[str, str]] = []
    for item in package.evidence:
        fact = evidence.get(item.name)
        if not isinstance(fact, Mapping):
            continue
        whose = item.label.get(get_language()) if item.label else ""
        for path in item.show or tuple(fact):
            label = f"{whose} — {fact_label(path)}" if whose else fact_label(path)
            rows.append((label, _fact_text(_dotted(fact, path))))
    return rows


# What part of a registry was read ("facts" a registry answers), as a person would say it.
DATA_LABELS = {
    "person": _("personal details"),
    "address": _("registered address"),
    "children": _("children"),
    "family": _("family members"),
    "entity": _("company details"),
    "ie_status": _("sole proprietor status"),
    "entities_of_person": _("companies you are linked to"),
    "vehicles_of_person": _("your vehicles"),
    "properties_of_person": _("your real estate"),
    "criminal_record_status": _("criminal record status"),
    "record": _("record"),
    "events": _("changes the register recorded about you"),
}


def data_label(category: str) -> str:
    return str(DATA_LABELS.get(category) or _humanise(category))


def fields_text(fields: list[str]) -> str:
    """The fields of a registry read as words, each once, in the order read."""
    return ", ".join(dict.fromkeys(fact_label(f) for f in fields))


# Why data was read, by the purpose's code (`audit.purposes`: classified where the read is
# logged, or from a legacy row's text), as a sentence for the person whose data was read.
# %(service)s is the service's title, %(number)s the application's number. A purpose another
# system wrote (code `other`) is shown as that system wrote it.
PURPOSE_LABELS = {
    "application.check": _("Checking the data for your application %(number)s: %(service)s"),
    "application.prefill": _("Filling in your application form: %(service)s"),
    "application.sign": _("Signing your application: %(service)s"),
    "application.submit": _("Sending your application: %(service)s"),
    "application.view": _("Your application: %(service)s"),
    "application.evidence": _("Fetching registry data for your application"),
    "application.decide": _("Deciding on your application"),
    "application.signature": _("Checking the signature on your application"),
    "application.attachment": _("Opening a document attached to your application"),
    "application.history": _("Reading the history of your application"),
    "application.decision": _("Deciding on your application %(number)s"),
    "application.processing": _("Processing your application %(number)s"),
}


def purpose_label(why: Any, *, service_titles: Mapping[str, str]) -> str:
    """Why the data was read (an `audit.purposes.Purpose`), in the current language; services
    by their title, never their code."""
    text = PURPOSE_LABELS.get(why.code)
    if text is None:
        return why.text
    service = service_titles.get(why.service) or _("a public service")
    return str(text) % {"service": str(service), "number": why.number}
