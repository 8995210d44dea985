"""Reading published budgets: the newest version of each agency's budget for each year, per
programme and sub-programme, with planned, adjusted and executed amounts and the execution
share. Amounts are integers in tiyn; nothing here is a float.

The adjusted budget of a line without an adjusted amount is its planned amount (nothing was
adjusted). Execution is executed ÷ adjusted; a version with no executed amounts at all is a
budget whose execution is not reported yet (None), otherwise a line without one executed 0."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from qyzmet.core.problem import not_found

from .models import BudgetLine, BudgetPublisher, BudgetVersion


@dataclass
class Totals:
    planned: int = 0
    adjusted: int = 0
    executed: int | None = None

    def add(self, other: Totals) -> None:
        self.planned += other.planned
        self.adjusted += other.adjusted
        if other.executed is not None:
            self.executed = (self.executed or 0) + other.executed

    @property
    def execution_pct(self) -> Decimal | None:
        """Executed as a share of the adjusted budget, in per cent with one decimal."""
        if self.executed is None or self.adjusted <= 0:
            return None
        return (Decimal(self.executed) * 100 / Decimal(self.adjusted)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class SubprogrammeRow:
    code: str
    names: dict[str, str]
    totals: Totals


@dataclass
class ProgrammeRow:
    code: str
    names: dict[str, str]
    functional_code: str
    totals: Totals
    subprogrammes: list[SubprogrammeRow] = field(default_factory=list)


@dataclass
class VersionInfo:
    id: int
    number: int
    fiscal_year: int
    created_at: Any
    line_count: int
    sha256: str


@dataclass
class AgencyYear:
    slug: str
    organisation_code: str
    fiscal_year: int
    version: VersionInfo
    totals: Totals


@dataclass
class YearDetail:
    slug: str
    organisation_code: str
    fiscal_year: int
    version: VersionInfo
    versions: list[VersionInfo]
    programmes: list[ProgrammeRow]
    totals: Totals
    years: list[int]


@dataclass
class ProgrammeHistory:
    slug: str
    organisation_code: str
    code: str
    names: dict[str, str]
    years: list[tuple[int, VersionInfo, Totals]]


_VERSION_FIELDS = ("id", "number", "fiscal_year", "created_at", "line_count", "sha256")


def _info(row: dict[str, Any]) -> VersionInfo:
    return VersionInfo(**{k: row[k] for k in _VERSION_FIELDS})


def publisher_by_slug(*, slug: str) -> BudgetPublisher:
    found = BudgetPublisher.objects.filter(slug=slug).first()
    if found is None:
        raise not_found("budget")
    return found


def _latest(publisher_ids: Iterable[int] | None = None) -> dict[tuple[int, int], VersionInfo]:
    """(publisher id, year) → the newest version (the package itself is not loaded)."""
    qs = BudgetVersion.objects.order_by("publisher_id", "fiscal_year", "-number")
    if publisher_ids is not None:
        qs = qs.filter(publisher_id__in=list(publisher_ids))
    latest: dict[tuple[int, int], VersionInfo] = {}
    for row in qs.values("publisher_id", *_VERSION_FIELDS):
        latest.setdefault((row["publisher_id"], row["fiscal_year"]), _info(row))
    return latest


def _line_totals(version_ids: Iterable[int]) -> dict[int, dict[tuple[str, str], dict[str, Any]]]:
    """version id → (programme, sub-programme) → {"phases": {phase: tiyn}, names…}."""
    out: dict[int, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
    rows = BudgetLine.objects.filter(version_id__in=list(version_ids)).values(
        "version_id", "programme_code", "subprogramme_code", "phase", "amount_tiyn",
        "programme_name_kk", "programme_name_ru", "programme_name_en", "subprogramme_name_kk",
        "subprogramme_name_ru", "functional_code",
    )  # fmt: skip
    for row in rows:
        key = (row["programme_code"], row["subprogramme_code"])
        line = out[row["version_id"]].setdefault(key, {"phases": {}, **row})
        line["phases"][row["phase"]] = row["amount_tiyn"]
    return out


def _totals_of(lines: Iterable[dict[str, Any]], executed_reported: bool) -> Totals:
    totals = Totals(executed=0 if executed_reported else None)
    for line in lines:
        phases = line["phases"]
        planned = phases.get("planned", 0)
        totals.planned += planned
        totals.adjusted += phases.get("adjusted", planned)
        if executed_reported:
            totals.executed = (totals.executed or 0) + phases.get("executed", 0)
    return totals


def _reported(lines: dict[tuple[str, str], dict[str, Any]]) -> bool:
    return any("executed" in line["phases"] for line in lines.values())


def budgets_overview() -> list[AgencyYear]:
    """Every agency's newest budget for each year, newest years first."""
    publishers = {p.pk: p for p in BudgetPublisher.objects.all()}
    latest = _latest()
    lines = _line_totals(v.id for v in latest.values())
    out = []
    for (publisher_id, year), version in latest.items():
        version_lines = lines.get(version.id, {})
        publisher = publishers[publisher_id]
        out.append(
            AgencyYear(
                publisher.slug, publisher.organisation_code, year, version,
                _totals_of(version_lines.values(), _reported(version_lines)),
            )
        )  # fmt: skip
    out.sort(key=lambda a: (-a.fiscal_year, a.organisation_code))
    return out


def _names(line: dict[str, Any], prefix: str) -> dict[str, str]:
    names = {lang: line.get(f"{prefix}_name_{lang}") or "" for lang in ("kk", "ru", "en")}
    names["en"] = names["en"] or names["ru"]
    return names


def _programmes(version_lines: dict[tuple[str, str], dict[str, Any]]) -> list[ProgrammeRow]:
    reported = _reported(version_lines)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (code, _sub), line in version_lines.items():
        grouped[code].append(line)
    programmes = []
    for code in sorted(grouped):
        lines = grouped[code]
        row = ProgrammeRow(code, _names(lines[0], "programme"), lines[0]["functional_code"],
                           _totals_of(lines, reported))  # fmt: skip
        for line in sorted(lines, key=lambda x: x["subprogramme_code"]):
            if line["subprogramme_code"]:
                row.subprogrammes.append(
                    SubprogrammeRow(
                        line["subprogramme_code"],
                        _names(line, "subprogramme"),
                        _totals_of([line], reported),
                    )
                )
        programmes.append(row)
    return programmes


def budget_year(*, slug: str, year: int, number: int | None = None) -> YearDetail:
    """An agency's budget for one year: the newest version (or version `number`)."""
    publisher = publisher_by_slug(slug=slug)
    versions = [
        _info(row)
        for row in BudgetVersion.objects.filter(publisher=publisher, fiscal_year=year)
        .order_by("-number")
        .values(*_VERSION_FIELDS)
    ]
    if not versions:
        raise not_found("budget")
    version = versions[0] if number is None else next(
        (v for v in versions if v.number == number), None
    )  # fmt: skip
    if version is None:
        raise not_found("budget")
    version_lines = _line_totals([version.id]).get(version.id, {})
    programmes = _programmes(version_lines)
    totals = Totals(executed=0 if _reported(version_lines) else None)
    for programme in programmes:
        totals.add(programme.totals)
    years = sorted(
        set(BudgetVersion.objects.filter(publisher=publisher).values_list("fiscal_year",
                                                                          flat=True))
    )  # fmt: skip
    return YearDetail(publisher.slug, publisher.organisation_code, year, version, versions,
                      programmes, totals, years)  # fmt: skip


def budget_programme(*, slug: str, code: str) -> ProgrammeHistory:
    """One programme of an agency over the years (the newest version of each year)."""
    publisher = publisher_by_slug(slug=slug)
    latest = _latest([publisher.pk])
    lines = _line_totals(v.id for v in latest.values())
    years = []
    names: dict[str, str] = {}
    for (_pid, year), version in sorted(latest.items(), key=lambda kv: kv[0][1]):
        version_lines = lines.get(version.id, {})
        own = [line for (c, _s), line in version_lines.items() if c == code]
        if not own:
            continue
        names = _names(own[0], "programme")
        years.append((year, version, _totals_of(own, _reported(version_lines))))
    if not years:
        raise not_found("programme")
    return ProgrammeHistory(publisher.slug, publisher.organisation_code, code, names, years)


def budget_package(*, slug: str, year: int, number: int | None = None) -> tuple[bytes, int]:
    """The validated Fiscal Data Package (a zip) of the newest version or of `number`."""
    publisher = publisher_by_slug(slug=slug)
    qs = BudgetVersion.objects.filter(publisher=publisher, fiscal_year=year)
    if number is not None:
        qs = qs.filter(number=number)
    found = qs.order_by("-number").values_list("package", "number").first()
    if found is None:
        raise not_found("budget")
    return bytes(found[0]), found[1]


def budget_versions_of(*, organisation_codes: Iterable[str]) -> list[dict[str, Any]]:
    """The versions the given agencies published, newest first (for the back office)."""
    return list(
        BudgetVersion.objects.filter(publisher__organisation_code__in=list(organisation_codes))
        .order_by("-created_at", "-pk")
        .values("publisher__organisation_code", "publisher__slug", *_VERSION_FIELDS)[:200]
    )


def budget_open_rows() -> Iterable[dict[str, Any]]:
    """The open dataset: every agency × year × programme × phase of the newest versions, in
    whole tenge (tiyn as a decimal fraction would invite floats)."""
    publishers = {p.pk: p for p in BudgetPublisher.objects.all()}
    latest = _latest()
    lines = _line_totals(v.id for v in latest.values())
    for (publisher_id, year), version in sorted(latest.items()):
        version_lines = lines.get(version.id, {})
        reported = _reported(version_lines)
        for programme in _programmes(version_lines):
            phases = {"planned": programme.totals.planned, "adjusted": programme.totals.adjusted}
            if reported:
                phases["executed"] = programme.totals.executed or 0
            for phase, tiyn in phases.items():
                yield {
                    "agency": publishers[publisher_id].slug,
                    "fiscal_year": year,
                    "version": version.number,
                    "programme_code": programme.code,
                    "programme_name_kk": programme.names["kk"],
                    "programme_name_ru": programme.names["ru"],
                    "functional_code": programme.functional_code,
                    "phase": phase,
                    "amount_kzt": str(Decimal(tiyn) / 100),
                }
