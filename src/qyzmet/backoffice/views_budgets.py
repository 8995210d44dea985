"""The back office for open budgets: an officer or head of an agency uploads the agency's
Fiscal Data Package (datapackage.json with its CSV files, or one zip of them); a valid package
becomes the next version of that year's budget, an invalid one is refused whole with every
problem named (file, row, column). Anyone else signed in gets 403."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qyzmet.backoffice.guards import area_required
from qyzmet.budgets import fdp, labels, selectors, services
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names

budget_publisher_required = area_required(
    lambda user: services.publishing_organisations(user=user)
)


def _page(request: HttpRequest, *, errors: list[str] | None = None, chosen: str = "",
          status: int = 200) -> HttpResponse:  # fmt: skip
    codes = services.publishing_organisations(user=request.user)
    names = organisation_names(codes=set(codes))
    lang = labels.lang()
    agencies = [(code, names.get(code, {}).get(lang, "")) for code in codes]
    versions = [
        {
            "agency": names.get(v["publisher__organisation_code"], {}).get(lang, ""),
            "slug": v["publisher__slug"],
            "year": v["fiscal_year"],
            "number": v["number"],
            "created_at": v["created_at"],
            "lines": v["line_count"],
        }
        for v in selectors.budget_versions_of(organisation_codes=codes)
    ]
    return render(
        request,
        "backoffice/budgets/index.html",
        {
            "agencies": agencies,
            "chosen": chosen or codes[0],
            "versions": versions,
            "errors": errors or [],
            "limits": fdp.limits_in_words(),
        },
        status=status,
    )


@budget_publisher_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


@budget_publisher_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    codes = services.publishing_organisations(user=request.user)
    code = request.POST.get("agency") or (codes[0] if len(codes) == 1 else "")
    if code not in codes:
        return _page(request, errors=[_("Choose the agency whose budget this is.")], status=400)
    uploads: list[tuple[str, bytes]] = []
    for upload in request.FILES.getlist("package"):
        # A file of a multipart form always has its size and a name (Django skips nameless ones).
        name = upload.name or ""
        if (upload.size or 0) > fdp.MAX_UPLOAD_BYTES:
            error = fdp.PackageError(
                "too_large", name, value=str(fdp.MAX_UPLOAD_BYTES // (1024 * 1024))
            )
            return _page(request, errors=[str(error)], chosen=code, status=400)
        uploads.append((name, upload.read(fdp.MAX_UPLOAD_BYTES + 1)))
    try:
        version = services.budget_publish(
            actor=request.user, organisation_code=code, uploads=uploads
        )
    except fdp.PackageInvalid as invalid:
        return _page(request, errors=fdp.errors_in_words(invalid.errors), chosen=code,
                     status=400)  # fmt: skip
    except Problem as problem:
        if problem.status == 403:
            return render(request, "backoffice/forbidden.html", status=403)
        raise
    messages.success(
        request,
        _("Published: the budget for %(year)s, version %(number)s.")
        % {"year": version.fiscal_year, "number": version.number},
    )
    return redirect("bo-budgets")
