"""Reading registry records for the Data API: find by a query, list with search, filter,
ordering and pages. Nothing here audits: the views audit what they return, with the gateway's
client, user and purpose, after the consent check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from qyzmet.core.problem import FieldError, Problem

from .bodies import invalid
from .registries import FieldInvalid, Registry

MAX_PAGE_SIZE = 100


def records_find(*, registry: Registry, q: Q, limit: int | None = None) -> list[Any]:
    """Records matching `q`, in key order (so "the first" is stable)."""
    key = registry.key_field().orm
    assert key is not None  # a registry's key is always a queryable column
    qs = registry.queryset().filter(q).order_by(key)
    return list(qs[:limit] if limit else qs)


def record_by_key(*, registry: Registry, key: str) -> Any | None:
    """The record a path names: by its key, else by the registry's `path_lookups` fields
    (409 when such a value names several records)."""
    key_orm = registry.key_field().orm
    assert key_orm is not None  # a registry's key is always a queryable column
    found = registry.queryset().filter(**{key_orm: key}).first()
    if found is not None:
        return found
    for name in registry.path_lookups:
        spec = registry.field(name)
        if spec is None or spec.orm is None:
            continue
        matches = list(registry.queryset().filter(**{spec.orm: key})[:2])
        if len(matches) > 1:
            raise Problem(
                409, "govstack.ambiguous", "Conflict",
                f"“{key}” names more than one record: use the {registry.key}.",
            )  # fmt: skip
        if matches:
            return matches[0]
    return None


@dataclass(frozen=True)
class RecordPage:
    count: int
    page: int
    page_size: int
    records: list[Any]

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.count


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid([FieldError(f"/{name}", f"must be an integer from {low} to {high}")],
                      "A query parameter is not valid.")  # fmt: skip
    return int(raw)


def _field_q(registry: Registry, name: str, raw: str, pointer: str) -> Q:
    spec = registry.field(name)
    if spec is None or spec.orm is None:
        raise invalid([FieldError(pointer, f"The registry has no queryable field “{name}”.")],
                      "A query parameter is not valid.")  # fmt: skip
    value: Any = raw
    if spec.kind == "boolean":
        value = raw.lower() in {"true", "1", "yes"}
    try:
        parsed = spec.parse(value)
    except FieldInvalid as exc:
        raise invalid([FieldError(pointer, exc.reason)], "A query parameter is not valid.") from exc
    return Q(**{spec.orm: parsed})


_ASCENDING = {"ascending", "asc"}
_DESCENDING = {"descending", "desc"}


def _searchable(registry: Registry, name: str) -> str:
    spec = registry.field(name)
    if spec is None or spec.orm is None or spec.kind != "string":
        raise invalid([FieldError("/filter", f"The registry has no searchable field “{name}”.")],
                      "A query parameter is not valid.")  # fmt: skip
    return spec.orm


def records_list(*, registry: Registry, params: dict[str, str]) -> RecordPage:
    """The list endpoint: `search` (words, each in some text field), `filter` (`field:value`
    pairs, comma-separated; a bare field name — GovStack's form — limits `search` to that
    field), `query.<field>=value` (exact), `ordering` (`field` or `-field`, comma-separated;
    or GovStack's `ascending`/`descending`, by the filter field, else the key), `page` (from 1)
    and `page_size` (GovStack: `pageSize`; up to 100, default the registry's page size)."""
    qs = registry.queryset()
    search_in: list[str] = []
    for name, raw in params.items():
        if name.startswith("query."):
            field_name = name.removeprefix("query.")
            qs = qs.filter(_field_q(registry, field_name, raw, f"/{name}"))
    for pair in filter(None, (params.get("filter") or "").split(",")):
        field_name, sep, raw = pair.partition(":")
        if not sep:
            field_name, sep, raw = pair.partition("=")
        if not sep:
            search_in.append(_searchable(registry, pair.strip()))
            continue
        qs = qs.filter(_field_q(registry, field_name.strip(), raw.strip(), "/filter"))
    texts = search_in or [f.orm for f in registry.fields if f.kind == "string" and f.orm]
    for word in (params.get("search") or "").split():
        any_field = Q()
        for orm in texts:
            any_field |= Q(**{f"{orm}__icontains": word})
        qs = qs.filter(any_field)
    ordering: list[str] = []
    key = registry.key_field().orm
    assert key is not None
    for item in filter(None, (params.get("ordering") or "").split(",")):
        direction = item.strip().lower()
        if direction in _ASCENDING or direction in _DESCENDING:
            sign = "-" if direction in _DESCENDING else ""
            ordering.extend(sign + orm for orm in (search_in or [key]))
            continue
        name = item.strip().lstrip("-")
        spec = registry.field(name)
        if spec is None or spec.orm is None:
            raise invalid([FieldError("/ordering", f"Cannot order by “{name}”.")],
                          "A query parameter is not valid.")  # fmt: skip
        ordering.append(("-" if item.strip().startswith("-") else "") + spec.orm)
    qs = qs.order_by(*ordering, key)
    page = _int_param(params, "page", 1, 1, 1_000_000)
    size_name = "page_size" if params.get("page_size") or not params.get("pageSize") else "pageSize"
    page_size = _int_param(params, size_name, registry.page_size, 1, MAX_PAGE_SIZE)
    count = qs.count()
    start = (page - 1) * page_size
    return RecordPage(count, page, page_size, list(qs[start : start + page_size]))
