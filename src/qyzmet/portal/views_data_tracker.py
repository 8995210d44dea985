""" "Who looked at my data" (/my/data/): every read of the signed-in person's data, newest first,
with when, which organisation, which officer or system, which registry and fields, and why."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qyzmet.registries.govstack.usage import personal_data_usage


@login_required
@require_GET
@never_cache
def my_data_view(request: HttpRequest) -> HttpResponse:
    page = personal_data_usage(subject_iin=request.user.iin, cursor=request.GET.get("cursor"))
    lang = (get_language() or "en")[:2]
    rows = [{"entry": e, "organisation": e.organisation(lang)} for e in page.entries]
    context = {
        "rows": rows,
        "next_cursor": page.next_cursor,
        "first": not request.GET.get("cursor"),
    }
    return render(request, "portal/data/usage.html", context)
