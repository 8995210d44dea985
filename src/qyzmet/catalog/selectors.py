"""Reads of the catalog. Every other app asks for service packages here.

Parsed packages are cached in process memory by (version id, checksum): a published version
never changes, so the cache needs no invalidation, and keying on the checksum keeps it right even
when a test database reuses ids."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qyzmet.core.problem import not_found

from .models import ServiceVersion
from .package import ServicePackage, Text, package_parse
from .reference import (
    Agency,
    agencies_file,
    agencies_load,
    life_events_file,
    life_events_load,
    search_synonyms_file,
    search_synonyms_load,
)
from .search import search_index_for

_CACHE_LIMIT = 2000
_parsed: dict[tuple[int, str], ServicePackage] = {}


@dataclass(frozen=True)
class ServiceVersionDTO:
    id: int
    code: str
    version: int
    agency_code: str
    is_current: bool
    checksum: str
    package: ServicePackage

    def title(self, lang: str | None) -> str:
        return self.package.title(lang)


@dataclass(frozen=True)
class LifeEventDTO:
    code: str
    title: Text
    description: Text
    service_codes: tuple[str, ...]


def _dtos(rows: Iterable[ServiceVersion]) -> list[ServiceVersionDTO]:
    """Rows fetched without `package` -> DTOs; the packages not yet cached come in one query."""
    rows = list(rows)
    missing = [row.pk for row in rows if (row.pk, row.checksum) not in _parsed]
    if missing:
        if len(_parsed) > _CACHE_LIMIT:
            _parsed.clear()
        for pk, checksum, data in ServiceVersion.objects.filter(pk__in=missing).values_list(
            "pk", "checksum", "package"
        ):
            _parsed[(pk, checksum)] = package_parse(data)
    return [
        ServiceVersionDTO(
            id=row.pk,
            code=row.code,
            version=row.version,
            agency_code=row.agency_code,
            is_current=row.is_current,
            checksum=row.checksum,
            package=_parsed[(row.pk, row.checksum)],
        )
        for row in rows
    ]


def _light():
    return ServiceVersion.objects.only(
        "id", "code", "version", "agency_code", "is_current", "checksum"
    )


def service_current(*, code: str, any_kind: bool = False) -> ServiceVersionDTO | None:
    """The version new applications for `code` use, or None for an unknown/withdrawn code.

    Only online services unless `any_kind`: every caller but the catalogue pages applies,
    signs or looks up data, which an information service (no form, no workflow) cannot do."""
    row = _light().filter(code=code, is_current=True).first()
    found = _dtos([row])[0] if row else None
    if found is not None and not any_kind and not found.package.is_online:
        return None
    return found


def services_current(*, codes: Iterable[str]) -> dict[str, ServiceVersionDTO]:
    """The current version of each of `codes` that exists, any kind, by code: one query
    however many codes (pages that name the services of many past reads or applications)."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    return {dto.code: dto for dto in _dtos(_light().filter(code__in=wanted, is_current=True))}


def service_version(*, version_id: int) -> ServiceVersionDTO:
    """The exact version an application is pinned to, current or not (404 if unknown)."""
    row = _light().filter(pk=version_id).first()
    if row is None:
        raise not_found("service version")
    return _dtos([row])[0]


_pinned: dict[int, ServiceVersionDTO] = {}


def service_pinned(*, version_id: int) -> ServiceVersionDTO:
    """`service_version` for callers that need only the immutable content of a version (code,
    agency, package): cached per process after the first read, so a case's workflow costs no
    query. Its `is_current` is as of that first read — ask `service_version` for the live flag."""
    cached = _pinned.get(version_id)
    if cached is None:
        if len(_pinned) > _CACHE_LIMIT:
            _pinned.clear()
        cached = _pinned[version_id] = service_version(version_id=version_id)
    return cached


def service_versions(*, code: str) -> list[ServiceVersionDTO]:
    """Every published version of `code`, oldest first (the service's history)."""
    return _dtos(_light().filter(code=code).order_by("version"))


def service_search(
    *,
    query: str = "",
    life_event: str | None = None,
    applicant: str | None = None,
    any_kind: bool = False,
) -> list[ServiceVersionDTO]:
    """Current services matching `query` in any language, best first (see `search`: typos,
    word forms and `search_terms` forgiven), or all by code for an empty query; optionally only
    those of a life event or for an applicant kind. Online services only unless `any_kind`
    (see `service_current`). Ranking is in Python over every current service — one query, the
    same results on every database."""
    found = _dtos(_light().filter(is_current=True).order_by("code"))
    if query.strip():
        key = tuple((s.id, s.checksum) for s in found)
        synonyms = search_synonyms_load(search_synonyms_file())
        index = search_index_for(key, [s.package for s in found], synonyms)
        by_code = {s.code: s for s in found}
        found = [by_code[hit.code] for hit in index.rank(query)]
    if not any_kind:
        found = [s for s in found if s.package.is_online]
    if life_event:
        found = [s for s in found if life_event in s.package.life_events]
    if applicant:
        found = [s for s in found if applicant in s.package.applicants]
    return found


def life_event_list() -> list[LifeEventDTO]:
    """The country pack's life events, each with the codes of its current services."""
    services = service_search(any_kind=True)
    return [
        LifeEventDTO(
            code=event.code,
            title=event.title,
            description=event.description,
            service_codes=tuple(s.code for s in services if event.code in s.package.life_events),
        )
        for event in life_events_load(life_events_file())
    ]


def life_event_get(*, code: str) -> LifeEventDTO | None:
    return next((e for e in life_event_list() if e.code == code), None)


def agency_list() -> list[Agency]:
    return list(agencies_load(agencies_file()))


def agency_get(*, code: str) -> Agency | None:
    return next((a for a in agencies_load(agencies_file()) if a.code == code), None)
