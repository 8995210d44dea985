"""How well each agency serves: the evaluation, computed from the published datasets' rows only.

`evaluate(rows_by_dataset, months)` takes the rows of the open datasets (as typed dicts: the
CSV files read with `rows_from_csv`, or the publishers' own rows) and returns every agency's
figures over a set of months, in total, per month and per service. The public page
`/agencies/performance/` calls exactly this on the currently published versions, so anyone can
reproduce each number from the CSV files (docs/open-government.md, "How well each agency serves").

The method, figure by figure (a suppressed cell is an empty cell in the CSV, `None` here):

* **applications** — Σ `submitted` of `applications-by-agency-month` over the months (for one
  service: of `applications-by-service-month`); an empty cell counts as 0, so the total is a
  lower bound (short by at most 4 per empty cell).
* **within the legal deadline (%)** — Σ `decided_in_time` / Σ `decided` (same tables; for one
  service `application-deadlines-by-service-month`) over the month rows where both cells are
  published; rows with an empty cell are left out of both sums.
* **median working days to decision** — from `decision-days-by-agency-month` (service `all`, or
  the service's code): n = Σ `decided` over the month rows present (one per month: the value is
  repeated on each `working_days` row); the median is the smallest `working_days` d for which
  2 × Σ `decided_within`(d) ≥ n, an empty cell counting as 0; none up to 60 → "more than 60".
* **refusal rate (%)** — Σ `refused` / Σ (`approved` + `refused`) over the month rows where both
  cells are published.
* **appeals answered in time (%)** — Σ `answered_in_time` / Σ `answered` of
  `appeals-by-agency-month` over the month rows where both are published.
* **mean rating** — Σ `rating_sum` / Σ `rated` of `appeals-by-agency-month` over the month rows
  where `rated` is published (`rating_sum` is published exactly then).

Percentages are rounded half up to one decimal, the mean rating half up to two decimals."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.text import slugify

from .performance_datasets import (
    ALL_SERVICES,
    DS_AGENCY,
    DS_APPEALS_AGENCY,
    DS_DAYS,
    DS_DEADLINES,
    DS_SERVICE,
    MAX_DAYS,
)

USED = (DS_AGENCY, DS_DAYS, DS_SERVICE, DS_DEADLINES, DS_APPEALS_AGENCY)
Rows = Sequence[Mapping[str, Any]]


@dataclass
class Figures:
    applications: int = 0
    decided: int = 0  # the denominator of `within_deadline_pct`
    within_deadline_pct: Decimal | None = None
    median_days: int | None = None
    median_over_max: bool = False  # more than MAX_DAYS working days
    refused: int = 0
    refusal_rate_pct: Decimal | None = None
    appeals: int = 0
    appeals_answered: int = 0
    appeals_in_time_pct: Decimal | None = None
    ratings: int = 0
    mean_rating: Decimal | None = None


@dataclass
class AgencyEvaluation:
    agency: str
    names: dict[str, str]
    total: Figures
    by_month: dict[str, Figures] = field(default_factory=dict)
    by_service: dict[str, Figures] = field(default_factory=dict)


# --- reading the CSV files ------------------------------------------------------------------


def rows_from_csv(schema: Mapping[str, Any], content: bytes) -> list[dict[str, Any]]:
    """The rows of a published CSV file, typed per its Table Schema: an empty cell is None,
    integers int, numbers Decimal, anything else the text."""
    types = {f["name"]: f.get("type", "string") for f in schema.get("fields", [])}
    rows = []
    for raw in csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")):
        row: dict[str, Any] = {}
        for name, value in raw.items():
            kind = types.get(name, "string")
            if value == "" and kind != "string":
                row[name] = None
            elif kind == "integer":
                row[name] = int(value)
            elif kind == "number":
                row[name] = Decimal(value)
            else:
                row[name] = value
        rows.append(row)
    return rows


# --- the method -------------------------------------------------------------------------------


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _n(value: Any) -> int:
    return 0 if value is None else int(value)


def _ratio(rows: Iterable[Mapping[str, Any]], part: str, whole: str | tuple[str, ...]):
    """(Σ part, Σ whole) over the rows where every cell involved is published."""
    wholes = (whole,) if isinstance(whole, str) else whole
    p = w = 0
    for row in rows:
        cells = [row.get(part), *(row.get(x) for x in wholes)]
        if any(c is None for c in cells):
            continue
        p += int(row[part])
        w += sum(int(row[x]) for x in wholes)
    return p, w


def median_from_cumulative(rows: Iterable[Mapping[str, Any]]) -> tuple[int | None, bool]:
    """(median working days, more than MAX_DAYS?) from `decision-days-by-agency-month` rows of
    one agency (and one `service` value) over some months."""
    decided: dict[str, int] = {}
    within: dict[int, int] = defaultdict(int)
    for row in rows:
        decided[row["month"]] = int(row["decided"])
        within[int(row["working_days"])] += _n(row["decided_within"])
    n = sum(decided.values())
    if not n:
        return None, False
    for d in range(MAX_DAYS + 1):
        if 2 * within[d] >= n:
            return d, False
    return None, True


def _figures(*, apps: Rows, days: Rows, deadlines: Rows | None, appeals: Rows) -> Figures:
    f = Figures()
    f.applications = sum(_n(r.get("submitted")) for r in apps)
    in_time, f.decided = _ratio(deadlines if deadlines is not None else apps,
                                "decided_in_time", "decided")  # fmt: skip
    f.within_deadline_pct = _pct(in_time, f.decided)
    f.median_days, f.median_over_max = median_from_cumulative(days)
    f.refused, decisions = _ratio(apps, "refused", ("approved", "refused"))
    f.refusal_rate_pct = _pct(f.refused, decisions)
    f.appeals = sum(_n(r.get("received")) for r in appeals)
    answered_in_time, f.appeals_answered = _ratio(appeals, "answered_in_time", "answered")
    f.appeals_in_time_pct = _pct(answered_in_time, f.appeals_answered)
    rated = [r for r in appeals if r.get("rated") is not None]
    f.ratings = sum(int(r["rated"]) for r in rated)
    if f.ratings:
        total = sum(int(r["rating_sum"]) for r in rated)
        f.mean_rating = (Decimal(total) / Decimal(f.ratings)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    return f


def _index(rows: Rows, *keys: str) -> dict[tuple, list[Mapping[str, Any]]]:
    out: dict[tuple, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        out[tuple(row[k] for k in keys)].append(row)
    return out


def agencies(rows_by_dataset: Mapping[str, Rows]) -> dict[str, dict[str, str]]:
    """Every agency in the agency tables (any month), with its names as published."""
    out: dict[str, dict[str, str]] = {}
    for name in (DS_AGENCY, DS_APPEALS_AGENCY):
        for row in rows_by_dataset.get(name, ()):
            names = {lang: row.get(f"agency_name_{lang}") or "" for lang in ("kk", "ru", "en")}
            if row["agency"] not in out or not any(out[row["agency"]].values()):
                out[row["agency"]] = names
    return out


def evaluate(
    rows_by_dataset: Mapping[str, Rows], months: Iterable[str], *, detail: bool = True
) -> dict[str, AgencyEvaluation]:
    """Every agency's figures over `months` ('YYYY-MM'): in total, and with `detail` also per
    month and per service."""
    months = sorted(set(months))
    wanted = set(months)

    def inside(name: str) -> list[Mapping[str, Any]]:
        return [r for r in rows_by_dataset.get(name, ()) if r["month"] in wanted]

    apps = _index(inside(DS_AGENCY), "agency")
    days = _index(inside(DS_DAYS), "agency", "service")
    appeals = _index(inside(DS_APPEALS_AGENCY), "agency")
    service_apps = _index(inside(DS_SERVICE), "agency", "service")
    service_deadlines = _index(inside(DS_DEADLINES), "agency", "service")
    result = {}
    for code, names in sorted(agencies(rows_by_dataset).items()):
        a_rows, d_rows, p_rows = apps[(code,)], days[(code, ALL_SERVICES)], appeals[(code,)]
        ev = AgencyEvaluation(
            agency=code, names=names,
            total=_figures(apps=a_rows, days=d_rows, deadlines=None, appeals=p_rows),
        )  # fmt: skip
        if detail:
            for month in months:
                ev.by_month[month] = _figures(
                    apps=[r for r in a_rows if r["month"] == month],
                    days=[r for r in d_rows if r["month"] == month],
                    deadlines=None,
                    appeals=[r for r in p_rows if r["month"] == month],
                )
            services = sorted({s for (a, s) in service_apps if a == code})
            for service in services:
                ev.by_service[service] = _figures(
                    apps=service_apps[(code, service)], days=days[(code, service)],
                    deadlines=service_deadlines[(code, service)], appeals=[],
                )  # fmt: skip
        result[code] = ev
    return result


# --- periods and slugs ------------------------------------------------------------------------


def last_months(today: dt.date, count: int = 12) -> list[str]:
    """The `count` calendar months ending with the month of `today` (it included)."""
    year, month = today.year, today.month
    out = []
    for _i in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if not month:
            year, month = year - 1, 12
    return sorted(out)


def year_months(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def years_in(rows_by_dataset: Mapping[str, Rows]) -> list[int]:
    return sorted(
        {int(r["month"][:4]) for name in USED for r in rows_by_dataset.get(name, ())},
        reverse=True,
    )


def slugs(names_by_agency: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{slug: agency code}: the agency's English name made a URL word (then Russian; a number
    is added when two agencies would get the same)."""
    out: dict[str, str] = {}
    for code in sorted(names_by_agency):
        names = names_by_agency[code]
        base = slugify(names.get("en") or "") or slugify(names.get("ru") or "", allow_unicode=True)
        base = (base or "agency")[:60].strip("-")
        slug, i = base, 2
        while slug in out:
            slug, i = f"{base}-{i}", i + 1
        out[slug] = code
    return out


# --- what the page reads: the currently published versions -----------------------------------


def data_version() -> str:
    """The current version number of each dataset the evaluation reads ('-' when one was never
    published): what the page's cache is keyed by."""
    from .models import DatasetVersion

    numbers = dict(
        DatasetVersion.objects.filter(dataset__name__in=USED, current=True).values_list(
            "dataset__name", "number"
        )
    )
    return ".".join(str(numbers.get(name, "-")) for name in USED)


def published_rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of the current CSV file of every dataset the evaluation reads, typed per its
    published schema; a dataset not published yet has no rows."""
    from .models import Resource

    out: dict[str, list[dict[str, Any]]] = {name: [] for name in USED}
    resources = Resource.objects.filter(
        version__dataset__name__in=USED, version__current=True, format=Resource.Format.CSV
    ).select_related("version__dataset")
    for resource in resources:
        out[resource.version.dataset.name] = rows_from_csv(
            resource.version.schema, bytes(resource.content)
        )
    return out


CACHE_TTL = 24 * 3600


def current(months: Sequence[str], period_key: str) -> tuple[str, dict[str, AgencyEvaluation],
                                                               list[int], dict[str, str]]:
    """(data version, every agency's evaluation over `months`, the years with data, {slug:
    agency}) for the currently published versions, cached per data version and period: a new
    publication changes the version, so a stale figure is never served."""
    from django.core.cache import cache

    version = data_version()
    key = f"opendata:performance:{version}:{period_key}"
    hit = cache.get(key)
    if hit is None:
        rows = published_rows()
        hit = (evaluate(rows, months), years_in(rows), slugs(agencies(rows)))
        cache.set(key, hit, CACHE_TTL)
    return (version, *hit)
