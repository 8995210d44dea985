"""Reads of the open-data catalogue for the public pages and the agencies' side.

The catalogue list costs two queries (the count and one page of datasets: publisher names and
formats are kept on the dataset row) and its filters one more, cached until the next publish."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from qyzmet.core.problem import not_found

from .models import Dataset, DatasetVersion, Resource
from .services import FACETS_CACHE_KEY

PAGE_SIZE = 20
FORMATS = ("CSV", "JSON")
QUERY_MAX_LENGTH = 200
FACETS_TTL = 600


@dataclass(frozen=True)
class DatasetPage:
    items: list[Dataset]
    total: int
    page: int
    pages: int


def _listed() -> QuerySet[Dataset]:
    return Dataset.objects.filter(versions__current=True).only(
        "id", "name", "organisation", "origin", "title", "description", "tags", "modified",
        "publisher_name", "formats",
    )


def dataset_search(
    *,
    q: str = "",
    publisher: str | None = None,
    tag: str | None = None,
    fmt: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> DatasetPage:
    """Published datasets, newest change first. `q` matches every word (any language) in the
    titles, descriptions, tags and publisher names; `publisher` is an organisation code ("" the
    platform operator), `tag` one tag, `fmt` "CSV" or "JSON"."""
    qs = _listed()
    for word in q.lower().split()[:10]:
        qs = qs.filter(search_text__contains=word[:QUERY_MAX_LENGTH])
    if publisher is not None:
        qs = qs.filter(organisation=publisher)
    if tag:
        qs = qs.filter(tag_text__contains=f"|{tag.lower()}|")
    if fmt:
        qs = qs.filter(formats__contains=fmt.upper()) if fmt.upper() in FORMATS else qs.none()
    total = qs.count()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    start = (page - 1) * page_size
    items = list(qs.order_by("-modified", "id")[start : start + page_size])
    return DatasetPage(items=items, total=total, page=page, pages=pages)


def catalogue_facets() -> dict[str, Any]:
    """The filters' choices: publishers (code → names in kk/ru/en, with their dataset counts)
    and tags (with counts). One query, cached until a publish changes the catalogue."""
    facets = cache.get(FACETS_CACHE_KEY)
    if facets is None:
        publishers: dict[str, dict[str, Any]] = {}
        tags: dict[str, int] = {}
        for organisation, names, dataset_tags in _listed().values_list(
            "organisation", "publisher_name", "tags"
        ):
            entry = publishers.setdefault(organisation, {"names": names, "count": 0})
            entry["count"] += 1
            for t in dataset_tags or []:
                tags[t] = tags.get(t, 0) + 1
        facets = {"publishers": publishers, "tags": dict(sorted(tags.items()))}
        cache.set(FACETS_CACHE_KEY, facets, FACETS_TTL)
    return facets


def dataset_get(*, name: str) -> Dataset:
    """A published dataset (one with a current version) by its name, or 404."""
    dataset = Dataset.objects.filter(name=name, versions__current=True).first()
    if dataset is None:
        raise not_found("dataset")
    return dataset


def dataset_versions(*, dataset: Dataset) -> list[DatasetVersion]:
    """Every version, newest first, each with `files`: {format: size in bytes}."""
    versions = list(
        DatasetVersion.objects.filter(dataset=dataset)
        .only("id", "number", "current", "schema", "row_count", "note", "created")
        .order_by("-number")
    )
    sizes: dict[int, dict[str, int]] = {}
    for version_id, fmt, size in Resource.objects.filter(version__dataset=dataset).values_list(
        "version_id", "format", "size"
    ):
        sizes.setdefault(version_id, {})[fmt] = size
    for version in versions:
        version.files = dict(sorted(sizes.get(version.pk, {}).items()))
    return versions


def organisation_datasets(*, organisations: list[str] | set[str]) -> list[Dataset]:
    """The datasets published under these organisations (their own and the platform's about
    them), newest change first, with the current version's number and row count."""
    datasets = list(
        Dataset.objects.filter(organisation__in=list(organisations))
        .filter(Q(versions__current=True))
        .order_by("-modified", "id")
    )
    current = dict(
        DatasetVersion.objects.filter(dataset__in=datasets, current=True).values_list(
            "dataset_id", "number"
        )
    )
    for dataset in datasets:
        dataset.current_number = current.get(dataset.pk)
    return datasets


def agency_dataset_get(*, name: str, organisations: list[str] | set[str]) -> Dataset:
    dataset = Dataset.objects.filter(
        name=name, organisation__in=list(organisations), versions__current=True
    ).first()
    if dataset is None:
        raise not_found("dataset")
    return dataset
