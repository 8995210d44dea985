"""Reads shaped as the CKAN 2.10 Action API answers them (https://docs.ckan.org/en/2.10/api/):
packages (datasets), their resources (the current version's files), organisations (the
publishing agencies) and tags. Titles come in the asked language, with `*_translated` dicts as
ckanext-fluent gives them. Errors are `CkanError`s carrying CKAN's error `__type`; the API layer
renders them with both CKAN's envelope and RFC 9457 members.

Search is a case-insensitive substring match of every word of `q` in `Dataset.search_text`
(titles, descriptions and tags in every language, lowercased), filtered by `fq` terms; a page of
100 packages costs four queries (count, page, resources, organisation names)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import shlex
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names

from .downloads import MEDIA_TYPES, license_info, resource_path
from .models import Dataset, Resource

LANGUAGES = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "en"
ROWS_DEFAULT, ROWS_MAX = 10, 1000
OPERATOR = "qyzmet"  # the CKAN organisation name of datasets published by the platform itself
OPERATOR_NAMES = {
    "kk": "«Qyzmet» платформасының операторы",
    "ru": "Оператор платформы «Qyzmet»",
    "en": "Qyzmet platform operator",
}
RESOURCE_NAMES = {
    "CSV": {"kk": "CSV файлы", "ru": "Файл CSV", "en": "CSV file"},
    "JSON": {"kk": "JSON файлы", "ru": "Файл JSON", "en": "JSON file"},
}
SORTS = {
    "metadata_modified desc": ("-modified", "id"),
    "metadata_modified asc": ("modified", "id"),
    "metadata_created desc": ("-created", "id"),
    "metadata_created asc": ("created", "id"),
    "name asc": ("name",),
    "name desc": ("-name",),
    "score desc, metadata_modified desc": ("-modified", "id"),  # CKAN's default sort
}
FQ_FIELDS = ("organization", "tags", "res_format", "name", "license_id")
FACET_FIELDS = ("organization", "tags", "res_format", "license_id")
_ORG_NS = uuid.UUID("8d1f5c2e-4b1a-4f0e-9a53-6f3c2b7d9e10")


class CkanError(Problem):
    """A CKAN action error: `ckan_type` is CKAN's `error.__type`."""

    ckan_type: str = ""
    fields: dict[str, list[str]] | None = None


def ckan_error(status: int, ckan_type: str, message: str, **fields: list[str]) -> CkanError:
    code = ckan_type.lower().replace(" ", "_")
    error = CkanError(status, code, ckan_type, message)
    error.ckan_type = ckan_type
    error.fields = fields or None
    return error


def not_found(message: str = "Not found") -> CkanError:
    return ckan_error(404, "Not Found Error", message)


def invalid(field: str, message: str) -> CkanError:
    return ckan_error(409, "Validation Error", f"{field}: {message}", **{field: [message]})


# --- small helpers -------------------------------------------------------------------------


def ckan_time(moment: datetime | None) -> str | None:
    """CKAN's timestamps: naive UTC ISO 8601 with microseconds."""
    if moment is None:
        return None
    return (
        timezone.localtime(moment, dt.UTC)
        .replace(tzinfo=None)
        .isoformat(timespec="microseconds")
    )


def pick(texts: dict[str, str], lang: str) -> str:
    """The text in `lang`, else English, else any."""
    for code in (lang, DEFAULT_LANGUAGE, *LANGUAGES):
        if texts.get(code):
            return texts[code]
    return ""


def organisation_name(code: str) -> str:
    return code.lower() if code else OPERATOR


def organisation_id(code: str) -> str:
    return str(uuid.uuid5(_ORG_NS, code or OPERATOR))


def _org_names(codes: set[str]) -> dict[str, dict[str, str]]:
    names = organisation_names(codes={c for c in codes if c}) if any(codes) else {}
    names[""] = OPERATOR_NAMES
    return names


def _code_for(name_or_id: str) -> str | None:
    """The organisation code behind a CKAN organisation name or id, among publishers."""
    for code in Dataset.objects.values_list("organisation", flat=True).distinct():
        if name_or_id in (organisation_name(code), organisation_id(code)):
            return code
    return None


def _organization(code: str, names: dict[str, dict[str, str]], lang: str) -> dict[str, Any]:
    titles = names.get(code) or {}
    return {
        "id": organisation_id(code),
        "name": organisation_name(code),
        "title": pick(titles, lang) or organisation_name(code),
        "title_translated": dict(titles),
        "type": "organization",
        "description": "",
        "image_url": "",
        "created": None,
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def _resource(
    res: Resource, dataset: Dataset, number: int, base_url: str, lang: str, position: int
) -> dict[str, Any]:
    fmt = res.format.lower()
    names = RESOURCE_NAMES.get(res.format, {"en": res.format})
    return {
        "id": str(res.id),
        "package_id": str(dataset.id),
        "url": base_url.rstrip("/") + resource_path(name=dataset.name, number=number, fmt=fmt),
        "format": res.format,
        "mimetype": (res.media_type or MEDIA_TYPES.get(res.format, "")).split(";")[0],
        "name": pick(names, lang),
        "name_translated": dict(names),
        "description": "",
        "hash": f"sha256:{res.sha256}",
        "size": res.size,
        "created": ckan_time(res.created),
        "last_modified": ckan_time(res.created),
        "metadata_modified": ckan_time(res.created),
        "position": position,
        "state": "active",
        "url_type": None,
        "resource_type": None,
        "datastore_active": False,
        "version": number,
    }


def _package(
    dataset: Dataset, resources: list[Resource], names: dict, base_url: str, lang: str
) -> dict[str, Any]:
    licence = license_info(dataset.license_id)
    number = resources[0].version.number if resources else None
    shaped = [
        _resource(res, dataset, number or 0, base_url, lang, i) for i, res in enumerate(resources)
    ]
    tags = sorted(dataset.tags)
    return {
        "id": str(dataset.id),
        "name": dataset.name,
        "title": pick(dataset.title, lang) or dataset.name,
        "title_translated": dict(dataset.title),
        "notes": pick(dataset.description, lang),
        "notes_translated": dict(dataset.description),
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": True,
        "license_id": dataset.license_id,
        "license_title": licence["title"],
        "license_url": licence["path"],
        "organization": _organization(dataset.organisation, names, lang),
        "owner_org": organisation_id(dataset.organisation),
        "author": None,
        "author_email": None,
        "maintainer": None,
        "maintainer_email": None,
        "creator_user_id": None,
        "url": base_url.rstrip("/") + f"/open-data/{dataset.name}/",
        "version": str(number) if number else None,
        "metadata_created": ckan_time(dataset.created),
        "metadata_modified": ckan_time(dataset.modified),
        "tags": [
            {"id": tag, "name": tag, "display_name": tag, "state": "active", "vocabulary_id": None}
            for tag in tags
        ],
        "num_tags": len(tags),
        "resources": shaped,
        "num_resources": len(shaped),
        "groups": [],
        "extras": [
            {"key": "theme", "value": dataset.theme},
            {"key": "frequency", "value": dataset.frequency},
            {"key": "origin", "value": dataset.origin},
        ],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


def _current_resources(dataset_ids: list) -> dict[Any, list[Resource]]:
    """The current version's resources of many datasets in one query, without their bytes."""
    found: dict[Any, list[Resource]] = {}
    query = (
        Resource.objects.filter(version__dataset_id__in=dataset_ids, version__current=True)
        .select_related("version")
        .defer("content")
        .order_by("format")
    )
    for res in query:
        found.setdefault(res.version.dataset_id, []).append(res)
    return found


def _packages(datasets: list[Dataset], base_url: str, lang: str) -> list[dict[str, Any]]:
    resources = _current_resources([d.id for d in datasets]) if datasets else {}
    # Publishing keeps the publisher's names on the dataset; look up only what is missing.
    names = {d.organisation: d.publisher_name for d in datasets if d.publisher_name}
    missing = {d.organisation for d in datasets} - set(names)
    if missing:
        names.update(_org_names(missing))
    return [_package(d, resources.get(d.id, []), names, base_url, lang) for d in datasets]


# --- actions ---------------------------------------------------------------------------------


def _int(params: dict[str, Any], field: str, default: int, low: int, high: int) -> int:
    value = params.get(field, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(field, "Invalid integer") from None
    if not low <= number <= high:
        raise invalid(field, f"Must be between {low} and {high}")
    return number


def _bool(params: dict[str, Any], field: str) -> bool:
    value = params.get(field, False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _identifier(params: dict[str, Any], field: str = "id") -> str:
    value = params.get(field) or (params.get("name_or_id") if field == "id" else None)
    if not isinstance(value, str) or not value.strip():
        raise invalid(field, "Missing value")
    return value.strip()


def package_list(params: dict[str, Any], *, base_url: str, lang: str) -> list[str]:
    """Names of all public datasets, by name; `limit` and `offset` page them."""
    limit = _int(params, "limit", 0, 0, 10**9)
    offset = _int(params, "offset", 0, 0, 10**9)
    names = Dataset.objects.order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit] if limit else names[offset:])


def _dataset_by(id_or_name: str) -> Dataset:
    query = Q(name=id_or_name)
    with contextlib.suppress(ValueError):
        query |= Q(id=uuid.UUID(id_or_name))
    dataset = Dataset.objects.filter(query).first()
    if dataset is None:
        raise not_found()
    return dataset


def package_show(params: dict[str, Any], *, base_url: str, lang: str) -> dict[str, Any]:
    """One dataset by `id` (its UUID) or name, with its current version's resources."""
    return _packages([_dataset_by(_identifier(params))], base_url, lang)[0]


def _fq_terms(fq: str) -> list[tuple[str, str]]:
    """`organization:x tags:"road safety" +res_format:CSV` → [(field, value), …]."""
    try:
        tokens = shlex.split(fq)
    except ValueError:
        raise invalid("fq", "Unbalanced quotes") from None
    terms = []
    for token in tokens:
        token = token.lstrip("+")
        if token.upper() in ("AND", "*:*", ""):
            continue
        field, sep, value = token.partition(":")
        if not sep or field not in FQ_FIELDS or not value:
            raise invalid("fq", f"Unsupported filter {token!r}; use {', '.join(FQ_FIELDS)}")
        terms.append((field, value.strip('"')))
    return terms


def _filtered(q: str, fq: str) -> QuerySet[Dataset]:
    datasets = Dataset.objects.all()
    words = []
    for word in re.findall(r'"[^"]+"|\S+', q or ""):
        field, sep, value = word.partition(":")
        if sep and field in FQ_FIELDS:  # CKAN accepts field:value in q as well
            fq = f"{fq} {word}"
        elif word not in ("*:*", "*"):
            words.append(word.strip('"').lower())
    for word in words:
        datasets = datasets.filter(search_text__contains=word)
    for field, value in _fq_terms(fq or ""):
        if field == "organization":
            code = _code_for(value)
            datasets = datasets.filter(organisation=code) if code is not None else datasets.none()
        elif field == "tags":  # tag_text is "|tag|tag|", lowercased
            datasets = datasets.filter(tag_text__contains=f"|{value.lower()}|")
        elif field == "res_format":
            datasets = datasets.filter(
                Exists(
                    Resource.objects.filter(
                        version__dataset=OuterRef("pk"),
                        version__current=True,
                        format=value.upper(),
                    )
                )
            )
        elif field == "name":
            datasets = datasets.filter(name=value)
        elif field == "license_id":
            datasets = datasets.filter(license_id=value)
    return datasets


def _facets(datasets: QuerySet[Dataset], fields: list[str], lang: str) -> tuple[dict, dict]:
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, dict[str, Any]] = {}
    for field in fields:
        counts: Counter[str] = Counter()
        display: dict[str, str] = {}
        if field == "organization":
            codes = Counter(datasets.values_list("organisation", flat=True))
            names = _org_names(set(codes))
            for code, n in codes.items():
                counts[organisation_name(code)] = n
                display[organisation_name(code)] = pick(names.get(code) or {}, lang)
        elif field == "tags":
            for tags in datasets.values_list("tags", flat=True):
                counts.update(set(tags))
        elif field == "res_format":
            counts.update(
                Resource.objects.filter(
                    version__current=True, version__dataset__in=datasets
                ).values_list("format", flat=True)
            )
        elif field == "license_id":
            counts.update(datasets.values_list("license_id", flat=True))
        facets[field] = dict(counts.most_common())
        search_facets[field] = {
            "title": field,
            "items": [
                {"name": name, "display_name": display.get(name) or name, "count": n}
                for name, n in counts.most_common()
            ],
        }
    return facets, search_facets


def _facet_fields(params: dict[str, Any]) -> list[str]:
    raw = params.get("facet.field")
    if not raw:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    if not isinstance(raw, list) or any(f not in FACET_FIELDS for f in raw):
        raise invalid("facet.field", f"Facets are {', '.join(FACET_FIELDS)}")
    return raw


def package_search(params: dict[str, Any], *, base_url: str, lang: str) -> dict[str, Any]:
    """Datasets matching `q` (words in titles, descriptions, tags) and `fq` (organization:,
    tags:, res_format:, name:, license_id:), `rows` (at most 1000) from `start`, sorted by
    `sort` (metadata_modified desc, name asc, …), with `facet.field` counts."""
    rows = _int(params, "rows", ROWS_DEFAULT, 0, ROWS_MAX)
    start = _int(params, "start", 0, 0, 10**9)
    sort = str(params.get("sort") or "metadata_modified desc").strip().lower()
    sort = re.sub(r"\s+", " ", sort)
    if sort not in SORTS:
        raise invalid("sort", f"Supported sorts are {', '.join(SORTS)}")
    q, fq = params.get("q") or "", params.get("fq") or ""
    if not isinstance(q, str) or not isinstance(fq, str):
        raise invalid("q", "Must be a string")
    fields = _facet_fields(params)
    datasets = _filtered(q, fq)
    count = datasets.count()
    page = list(datasets.order_by(*SORTS[sort])[start : start + rows]) if rows and count else []
    facets, search_facets = _facets(datasets, fields, lang) if fields else ({}, {})
    return {
        "count": count,
        "sort": sort,
        "results": _packages(page, base_url, lang),
        "facets": facets,
        "search_facets": search_facets,
    }


def organization_list(params: dict[str, Any], *, base_url: str, lang: str) -> list[Any]:
    """Names of the publishing organisations; with `all_fields` their details and package_count."""
    counts = Counter(Dataset.objects.values_list("organisation", flat=True))
    ordered = sorted(counts, key=organisation_name)
    if not _bool(params, "all_fields"):
        return [organisation_name(code) for code in ordered]
    names = _org_names(set(counts))
    return [{**_organization(code, names, lang), "package_count": counts[code]} for code in ordered]


def organization_show(params: dict[str, Any], *, base_url: str, lang: str) -> dict[str, Any]:
    """One publishing organisation by `id` or name; `include_datasets` adds its datasets."""
    code = _code_for(_identifier(params))
    if code is None:
        raise not_found()
    datasets = Dataset.objects.filter(organisation=code)
    shown = _organization(code, _org_names({code}), lang)
    shown["package_count"] = datasets.count()
    if _bool(params, "include_datasets"):
        shown["packages"] = _packages(list(datasets.order_by("name")[:1000]), base_url, lang)
    return shown


def resource_show(params: dict[str, Any], *, base_url: str, lang: str) -> dict[str, Any]:
    """One resource (a downloadable file of a dataset's current version) by `id`."""
    try:
        resource_id = uuid.UUID(_identifier(params))
    except ValueError:
        raise not_found() from None
    res = (
        Resource.objects.filter(id=resource_id)
        .select_related("version__dataset")
        .defer("content")
        .first()
    )
    if res is None:
        raise not_found()
    position = 0 if res.format == "CSV" else 1
    return _resource(res, res.version.dataset, res.version.number, base_url, lang, position)


def tag_list(params: dict[str, Any], *, base_url: str, lang: str) -> list[Any]:
    """Every tag of the catalogue; `query` keeps those containing it."""
    query = str(params.get("query") or params.get("q") or "").lower()
    tags = sorted({tag for tags in Dataset.objects.values_list("tags", flat=True) for tag in tags})
    if query:
        tags = [tag for tag in tags if query in tag.lower()]
    if _bool(params, "all_fields"):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


def status_show(params: dict[str, Any], *, base_url: str, lang: str) -> dict[str, Any]:
    """The site's title, URL, CKAN API version and extensions."""
    return {
        "site_title": "Qyzmet",
        "site_url": base_url.rstrip("/"),
        "site_description": OPERATOR_NAMES["en"],
        "ckan_version": "2.10.0",
        "error_emails_to": None,
        "locale_default": DEFAULT_LANGUAGE,
        "extensions": ["fluent", "dcat"],
    }


ACTIONS = {
    f.__name__: f
    for f in (
        package_list,
        package_show,
        package_search,
        organization_list,
        organization_show,
        resource_show,
        tag_list,
        status_show,
    )
}
