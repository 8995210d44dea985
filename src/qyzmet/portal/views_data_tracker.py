""" "Who looked at my data" (/my/data/): the reads of the signed-in person's data, newest first,
grouped by visit — all in the person's language: organisations and services by name, data,
fields and purposes in words, never the codes the audit trail stores.

A visit (`audit.usage.visits_group`) is the run of reads that one reader (an
officer, the person themselves, or the system) of one organisation made for one purpose (its
code, service and application) with no more than ten minutes between one read and the next:
one request's reads are always one visit; the same officer back an hour later is a new one.
Each visit is one row, with `<details>` (no JavaScript needed) listing the registries, data and
fields read.

Pages go by keyset on the audit row id (`?cursor=`), never OFFSET. Each showing of the page is
itself recorded in the audit trail (a read of the person's usage log by the person), as an
object read, not a subject read, so looking at the list does not add rows to it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qyzmet.audit.services import Kind, audit_record
from qyzmet.audit.usage import UsageVisit, personal_data_visits
from qyzmet.catalog.selectors import services_current
from qyzmet.portal.signed_in import SignedInRequest
from qyzmet.ui.labels import data_label, fact_label, purpose_label, registry_label


@dataclass(frozen=True)
class VisitRow:
    """A visit as the page shows it: everything already in words."""

    visit: UsageVisit
    organisation: str
    reader: str
    purpose: str
    reads: list[tuple[str, str]]  # (registry: data, fields) — each distinct read once


def _service_titles(codes: set[str], lang: str) -> dict[str, str]:
    """Titles of the services named in a page's purposes (one query for all of them)."""
    return {code: version.title(lang) for code, version in services_current(codes=codes).items()}


def _reader(visit: UsageVisit) -> str:
    first = visit.first
    if first.reader_is_subject:
        return _("You")
    if first.reader_id == "system":
        return _("Automatic system request")
    if first.reader_name:
        return _("Officer: %(name)s") % {"name": first.reader_name}
    return _("Officer")


def _reads(visit: UsageVisit) -> list[tuple[str, str]]:
    """(registry: data, the fields read) for each registry and data read in the visit, oldest
    first, fields merged, each once."""
    merged: dict[str, dict[str, None]] = {}
    for entry in reversed(visit.entries):
        what = f"{registry_label(entry.registry).capitalize()}: {data_label(entry.category)}"
        fields = merged.setdefault(what, {})
        for name in entry.fields:
            fields[fact_label(name)] = None
    return [(what, ", ".join(fields)) for what, fields in merged.items()]


def visit_rows(visits: list[UsageVisit], lang: str) -> list[VisitRow]:
    services = {v.first.why.service for v in visits if v.first.why is not None}
    titles = _service_titles(services, lang)
    return [
        VisitRow(
            visit=v,
            organisation=v.first.organisation_names.get(lang)
            or v.first.organisation_names.get("en")
            or _("Qyzmet portal"),
            reader=_reader(v),
            purpose=purpose_label(v.first.why, service_titles=titles),
            reads=_reads(v),
        )
        for v in visits
    ]


@login_required
@require_GET
@never_cache
def my_data_view(request: SignedInRequest) -> HttpResponse:
    cursor = request.GET.get("cursor")
    page = personal_data_visits(subject_iin=request.user.iin, cursor=cursor)
    audit_record(
        actor=request.user, kind=Kind.READ, action="read:audit.data_usage",
        object_type="portal.data_usage", object_id=request.user.iin,
        purpose="showing the person who read their data", data={"cursor": cursor or ""},
    )  # fmt: skip
    lang = (get_language() or "en")[:2]
    context = {
        "rows": visit_rows(page.visits, lang),
        "next_cursor": page.next_cursor,
        "first": not cursor,
    }
    return render(request, "portal/data/usage.html", context)
