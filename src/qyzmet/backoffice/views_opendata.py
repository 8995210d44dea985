"""The agencies' open data: their datasets (own uploads and the platform's about them), uploading
a CSV as a new dataset or a new version, and a dataset's versions.

Officers and heads of an agency see and publish that agency's datasets; anyone else signed in
gets 403; another agency's dataset is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qyzmet.backoffice.guards import area_required
from qyzmet.core.problem import FieldError, Problem
from qyzmet.identity.selectors import organisation_names, user_roles
from qyzmet.opendata import selectors, services

TAGS_MAX = 10


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def _in(texts: Any, lang: str) -> str:
    if not isinstance(texts, dict):
        return str(texts or "")
    return next((texts[k] for k in (lang, "ru", "kk", "en") if texts.get(k)), "")


def _publishing_organisations(user: Any) -> list[str]:
    return sorted(
        code for code, roles in user_roles(user=user).items() if roles & services.UPLOAD_ROLES
    )


opendata_officer_required = area_required(_publishing_organisations, pass_admitted=True)


def _org_names(codes: list[str]) -> dict[str, str]:
    lang = _lang()
    names = organisation_names(codes=codes)
    return {code: _in(names.get(code), lang) or _("Your organisation") for code in codes}


@require_GET
@opendata_officer_required
def datasets(request: HttpRequest, organisations: list[str]) -> HttpResponse:
    lang = _lang()
    rows = [
        {"name": d.name, "title": _in(d.title, lang), "publisher": _in(d.publisher_name, lang),
         "own": d.origin == "agency", "modified": d.modified, "number": d.current_number}
        for d in selectors.organisation_datasets(organisations=organisations)
    ]
    return render(request, "backoffice/opendata/list.html", {"datasets": rows})


def _field_labels() -> dict[str, str]:
    return {
        "file": _("CSV file"),
        "title_kk": _("Title in Kazakh"),
        "title_ru": _("Title in Russian"),
        "title_en": _("Title in English"),
        "name": _("Address name"),
        "schema": _("Schema"),
        "organisation": _("Organisation"),
    }


def _errors(problem: Problem) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """(input id, label, message) for the summary and each field's own message. Row errors
    belong to the file input: the message names the row and the column."""
    labels = _field_labels()
    summary: list[tuple[str, str, str]] = []
    by_field: dict[str, str] = {}
    for error in problem.errors or []:
        parts = error.pointer.strip("/").split("/")
        field = parts[0]
        if field == "title" and len(parts) > 1:
            field = f"title_{parts[1]}"
        if field == "rows":
            field = "file"
        field = field if field in labels else "file"
        summary.append((field, labels[field], error.detail))
        by_field.setdefault(field, error.detail)
    if not summary:
        summary.append(("file", labels["file"], problem.detail or problem.title))
        by_field["file"] = problem.detail or problem.title
    return summary, by_field


@require_http_methods(["GET", "POST"])
@opendata_officer_required
def upload(request: HttpRequest, organisations: list[str], name: str | None = None
           ) -> HttpResponse:
    dataset = None
    if name is not None:
        dataset = selectors.agency_dataset_get(name=name, organisations=organisations)
        if dataset.origin != "agency":
            raise Http404
    lang = _lang()
    values: Any = {}
    if dataset is not None:
        values = {f"title_{k}": v for k, v in dataset.title.items()}
        values.update({f"description_{k}": v for k, v in dataset.description.items()})
        values["tags"] = ", ".join(dataset.tags)
    context: dict[str, Any] = {
        "dataset": dataset,
        "dataset_title": _in(dataset.title, lang) if dataset else "",
        "organisations": _org_names(organisations),
        "max_mb": services.UPLOAD_MAX_BYTES // 1024 // 1024,
        "error_summary": [],
        "field_errors": {},
    }
    if request.method == "POST":
        values = request.POST
        organisation = dataset.organisation if dataset else values.get("organisation", "")
        if organisation not in organisations:
            organisation = organisations[0] if len(organisations) == 1 else ""
        upload_file = request.FILES.get("file")
        try:
            if not organisation:
                detail = _("Choose the organisation that publishes the dataset.")
                raise Problem(422, "organisation_missing", detail, detail,
                              [FieldError("/organisation", detail)])
            if upload_file is None:
                detail = _("Choose a CSV file.")
                raise Problem(422, "file_missing", detail, detail,
                              [FieldError("/file", detail)])
            result = services.dataset_upload(
                actor=request.user,
                organisation=organisation,
                dataset=dataset.name if dataset else None,
                name=(values.get("name") or "").strip() or None,
                title={k: values.get(f"title_{k}", "").strip() for k in ("kk", "ru", "en")},
                description={
                    k: values.get(f"description_{k}", "").strip() for k in ("kk", "ru", "en")
                },
                tags=[t.strip() for t in values.get("tags", "").split(",") if t.strip()][
                    :TAGS_MAX],
                csv_bytes=upload_file.read(services.UPLOAD_MAX_BYTES + 1),
                schema=values.get("schema") or None,
                note=values.get("note", "")[:2000],
            )
        except Problem as problem:
            if problem.status in (403, 404):
                raise
            context["error"] = problem
            context["error_summary"], context["field_errors"] = _errors(problem)
            context["values"] = values
            return render(request, "backoffice/opendata/upload.html", context,
                          status=413 if problem.status == 413 else 422)
        version = result.version
        if result.created:
            messages.success(request, _("Version %(number)d is published.") % {
                "number": version.number})
        else:
            messages.info(request, _(
                "The file is the same as the current version: nothing new was published."))
        return redirect("bo-opendata-dataset", name=version.dataset.name)
    context["values"] = values
    return render(request, "backoffice/opendata/upload.html", context)


@require_GET
@opendata_officer_required
def dataset(request: HttpRequest, organisations: list[str], name: str) -> HttpResponse:
    lang = _lang()
    found = selectors.agency_dataset_get(name=name, organisations=organisations)
    return render(request, "backoffice/opendata/dataset.html", {
        "dataset": found,
        "title": _in(found.title, lang),
        "publisher": _in(found.publisher_name, lang),
        "own": found.origin == "agency",
        "versions": selectors.dataset_versions(dataset=found),
    })

