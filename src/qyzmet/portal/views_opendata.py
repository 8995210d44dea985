"""The public open-data pages: the catalogue (search, filters by publisher, tag and format,
numbered pages) and one dataset (what it holds, its schema as a table, every version and its
files). Anonymous, read-only, no JavaScript; the files themselves are served by
`views_opendata_files`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from qyzmet.core.problem import Problem
from qyzmet.opendata import selectors

OPERATOR = "operator"  # the `publisher` filter's value for the platform's own datasets
TYPE_LABELS = {
    "string": _("Text"),
    "integer": _("Whole number"),
    "number": pgettext_lazy("data type", "Number"),
    "boolean": _("Yes or no"),
    "date": _("Date"),
    "datetime": _("Date and time"),
    "time": pgettext_lazy("data type", "Time"),
    "year": _("Year"),
    "yearmonth": _("Year and month"),
    "duration": _("Duration"),
    "geopoint": _("Point on a map"),
    "object": _("Structured value"),
    "array": _("List"),
    "any": _("Any value"),
}
FREQUENCY_LABELS = {
    "daily": _("Every day"),
    "weekly": _("Every week"),
    "monthly": _("Every month"),
    "quarterly": _("Every quarter"),
    "annual": _("Every year"),
    "irregular": _("When the publisher updates it"),
}
LICENCES = {
    "CC-BY-4.0": (_("Creative Commons Attribution 4.0"),
                  "https://creativecommons.org/licenses/by/4.0/"),
}


def _lang() -> str:
    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def _in(texts: Any, lang: str) -> str:
    """A kk/ru/en dict in the reader's language, else the first language present."""
    if not isinstance(texts, dict):
        return str(texts or "")
    for key in (lang, "ru", "kk", "en"):
        if texts.get(key):
            return texts[key]
    return ""


@dataclass(frozen=True)
class DatasetCard:
    name: str
    title: str
    description: str
    publisher: str
    modified: Any
    formats: list[str]
    tags: list[str]


def _card(dataset, lang: str) -> DatasetCard:
    return DatasetCard(
        name=dataset.name,
        title=_in(dataset.title, lang),
        description=_in(dataset.description, lang),
        publisher=_in(dataset.publisher_name, lang),
        modified=dataset.modified,
        formats=dataset.formats.split(),
        tags=list(dataset.tags),
    )


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_GET
def dataset_list(request: HttpRequest) -> HttpResponse:
    lang = _lang()
    q = request.GET.get("q", "")[: selectors.QUERY_MAX_LENGTH].strip()
    publisher = request.GET.get("publisher", "")[:64]
    tag = request.GET.get("tag", "")[:100]
    fmt = request.GET.get("format", "").upper()[:8]
    fmt = fmt if fmt in selectors.FORMATS else ""
    result = selectors.dataset_search(
        q=q,
        publisher=("" if publisher == OPERATOR else publisher) if publisher else None,
        tag=tag or None,
        fmt=fmt or None,
        page=_page_number(request.GET.get("page")),
    )
    facets = selectors.catalogue_facets()
    publishers = sorted(
        ((code or OPERATOR, _in(entry["names"], lang), entry["count"])
         for code, entry in facets["publishers"].items()),
        key=lambda p: p[1],
    )
    filters = {"q": q, "publisher": publisher, "tag": tag, "format": fmt}
    base_query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "portal/opendata/list.html", {
        "datasets": [_card(d, lang) for d in result.items],
        "result": result,
        "filters": filters,
        "filtered": any(filters.values()),
        "publishers": publishers,
        "tags": list(facets["tags"].items()),
        "formats": selectors.FORMATS,
        "base_query": base_query,
        "previous_page": result.page - 1 if result.page > 1 else None,
        "next_page": result.page + 1 if result.page < result.pages else None,
    })


def _field_rows(schema: dict[str, Any], lang: str) -> list[dict[str, str]]:
    rows = []
    for field in schema.get("fields", []):
        rows.append({
            "name": field.get("name", ""),
            "title": _in(field.get("titles"), lang) or field.get("title") or field.get("name"),
            "type": TYPE_LABELS.get(field.get("type", "string"), _("Text")),
            "description": _in(field.get("descriptions"), lang) or field.get("description", ""),
            "required": bool((field.get("constraints") or {}).get("required")),
        })
    return rows


@require_GET
def dataset_detail(request: HttpRequest, name: str) -> HttpResponse:
    lang = _lang()
    try:
        dataset = selectors.dataset_get(name=name)
    except Problem as problem:
        raise Http404 from problem
    versions = selectors.dataset_versions(dataset=dataset)
    current = next(v for v in versions if v.current)
    licence = LICENCES.get(dataset.license_id, (dataset.license_id, ""))
    return render(request, "portal/opendata/detail.html", {
        "dataset": dataset,
        "card": _card(dataset, lang),
        "current": current,
        "versions": versions,
        "fields": _field_rows(current.schema, lang),
        "frequency": FREQUENCY_LABELS.get(dataset.frequency, FREQUENCY_LABELS["irregular"]),
        "licence_name": licence[0],
        "licence_url": licence[1],
    })
