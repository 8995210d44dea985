""" "Who looked at my data" (/my/data/): every read of the signed-in person's data, newest first,
with when, which organisation, which officer or system, which registry and fields, and why —
all in the person's language: organisations and services by name, data and purposes in words,
never the codes the audit trail stores."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qyzmet.catalog.selectors import service_current
from qyzmet.registries.govstack.usage import personal_data_usage
from qyzmet.ui.labels import data_label, fields_text, purpose_label, purpose_service


def _service_titles(codes: set[str], lang: str) -> dict[str, str]:
    """Titles of the services named in a page's purposes (one read per distinct service)."""
    titles = {}
    for code in sorted(c for c in codes if c):
        version = service_current(code=code)
        if version is not None:
            titles[code] = version.title(lang)
    return titles


@login_required
@require_GET
@never_cache
def my_data_view(request: HttpRequest) -> HttpResponse:
    page = personal_data_usage(subject_iin=request.user.iin, cursor=request.GET.get("cursor"))
    lang = (get_language() or "en")[:2]
    titles = _service_titles({purpose_service(e.purpose) for e in page.entries}, lang)
    rows = [
        {
            "entry": e,
            "organisation": e.organisation_names.get(lang) or e.organisation_names.get("en"),
            "data": data_label(e.category),
            "fields": fields_text(e.fields),
            "purpose": purpose_label(e.purpose, service_titles=titles),
        }
        for e in page.entries
    ]
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "first": not request.GET.get("cursor"),
    }
    return render(request, "portal/data/usage.html", context)
