"""How well each agency serves: the evaluation, computed from the published datasets' rows only.

`evaluate(rows_by_dataset, months)` takes the rows of the open datasets (as typed dicts: the
CSV files read with `rows_from_csv`, or the publishers' own rows) and returns every agency's
figures over a set of months, in total, per month and per service. The public page
`/agencies/performance/` calls exactly this on the currently published versions, so anyone can
reproduce each number from the CSV files (docs/open-government.md, "How well each agency serves").

The method (a suppressed cell is an empty cell in the CSV, `None` here). Which cells are
suppressed depends on their own values (1–4), so a figure is never computed from "the months
whose cells are published": that would drop exactly the months with few refusals (or few late
decisions…) and skew the rate. Instead:

* **over a period** (the page's totals, per agency and per service) every figure is read from
  the row of `performance-by-agency-period` for that period (its `first_month`/`last_month` are
  the period's months) and agency (service `*`, or the service's code): applications =
  `submitted`; within the legal deadline % = `decided_in_time` / `decided`; median working days =
  `median_working_days`; refusal rate % = `refused` / (`approved` + `refused`); appeals answered
  in time % = `answered_in_time` / `answered`; mean rating = `rating_sum` / `rated`. When a cell
  a figure needs is empty the figure is **not published** (`Figures.suppressed[name]` is True);
  with nothing to divide by (a zero) it is **no data**.
* **per month** (the charts and the month table) the same from `applications-by-agency-month`
  and `appeals-by-agency-month`, row by row: a month whose needed cell is empty has no value (a
  gap in the chart, "not published" in the table), it is never counted as 0. The month's median
  comes from `decision-days-by-agency-month` (service `*`): the smallest `working_days` d with
  2 × `decided_within`(d) ≥ `decided`; if an empty cell (1–4) before it could already reach half,
  the median is not published.

* **top grounds for refusal** (`top_grounds`): the rows of `refusals-by-ground-period` for the
  period and agency (one per service and ground), ranked by `refused` (most first, then by
  service and ground code); an empty cell (1–4) is "fewer than 5" and ranks after every
  published one; at most five.

Percentages are rounded half up to one decimal, the mean rating half up to two decimals."""

from __future__ import annotations

import csv
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
    DS_GROUNDS_PERIOD,
    DS_PERIOD,
    MAX_DAYS,
    last_complete_months,
    last_months,
    year_months,
)

USED = (DS_AGENCY, DS_DAYS, DS_APPEALS_AGENCY, DS_PERIOD, DS_GROUNDS_PERIOD)
MONTHLY = (DS_AGENCY, DS_DAYS, DS_APPEALS_AGENCY)
__all__ = ["last_complete_months", "last_months", "year_months"]
Rows = Sequence[Mapping[str, Any]]


@dataclass
class Figures:
    """None is "no value": not published when `suppressed[name]` (a cell it needs is 1–4, left
    empty), else no data."""

    applications: int | None = 0
    decided: int | None = 0  # the denominator of `within_deadline_pct`
    within_deadline_pct: Decimal | None = None
    median_days: int | None = None
    median_over_max: bool = False  # more than MAX_DAYS working days
    refused: int | None = 0
    refusal_rate_pct: Decimal | None = None
    appeals: int | None = 0
    appeals_answered: int | None = 0
    appeals_in_time_pct: Decimal | None = None
    ratings: int | None = 0
    mean_rating: Decimal | None = None
    suppressed: dict[str, bool] = field(default_factory=dict)


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


def _cells(row: Mapping[str, Any] | None, *names: str) -> list[int] | None:
    """The row's cells as ints (an absent row: zeros); None when one of them is suppressed."""
    if row is None:
        return [0] * len(names)
    values = [row.get(n) for n in names]
    cells = [v for v in values if v is not None]
    return None if len(cells) < len(values) else [int(v) for v in cells]


def median_from_cumulative(rows: Iterable[Mapping[str, Any]]) -> tuple[int | None, bool]:
    """(median working days, more than MAX_DAYS?) from `decision-days-by-agency-month` rows of
    one agency (and one `service` value) over some months. An empty cell is 1–4 (per month): when
    it could decide where the median falls, the median is unknown: (None, False)."""
    decided: dict[str, int] = {}
    within: dict[int, int] = defaultdict(int)
    unknown: dict[int, int] = defaultdict(int)  # empty cells at d
    for row in rows:
        decided[row["month"]] = int(row["decided"])
        d = int(row["working_days"])
        if row["decided_within"] is None:
            unknown[d] += 1
        else:
            within[d] += int(row["decided_within"])
    n = sum(decided.values())
    if not n:
        return None, False
    for d in range(MAX_DAYS + 1):
        if 2 * within[d] >= n:
            return d, False
        if 2 * (within[d] + 4 * unknown[d]) >= n:
            return None, False  # it may be here: not known
    return None, True


def _figures(apps: Mapping[str, Any] | None, appeals: Mapping[str, Any] | None,
             median: tuple[int | None, bool, bool]) -> Figures:
    """The figures from one row of applications and one of appeals (None: no such row), both
    over the same months, and (median, more than 60?, not published?)."""
    f = Figures()
    hidden = f.suppressed

    def pct(name: str, row, part: str, *wholes: str) -> tuple[int | None, Decimal | None]:
        cells = _cells(row, part, *wholes)
        if cells is None:
            hidden[name] = True
            return None, None
        return cells[0], _pct(cells[0], sum(cells[1:]))

    def count(name: str, row, cell: str) -> int | None:
        value = _cells(row, cell)
        hidden[name] = value is None
        return None if value is None else value[0]

    f.applications = count("applications", apps, "submitted")
    f.decided = count("decided", apps, "decided")
    _in_time, f.within_deadline_pct = pct("within_deadline_pct", apps, "decided_in_time",
                                          "decided")  # fmt: skip
    f.median_days, f.median_over_max, hidden["median_days"] = median
    f.refused = count("refused", apps, "refused")
    _r, f.refusal_rate_pct = pct("refusal_rate_pct", apps, "refused", "approved", "refused")
    f.appeals = count("appeals", appeals, "received")
    f.appeals_answered = count("appeals_answered", appeals, "answered")
    _a, f.appeals_in_time_pct = pct("appeals_in_time_pct", appeals, "answered_in_time",
                                    "answered")  # fmt: skip
    f.ratings = count("ratings", appeals, "rated")
    if f.ratings and appeals is not None:  # no row counts no ratings
        total = int(appeals["rating_sum"])  # published exactly when `rated` is
        f.mean_rating = (Decimal(total) / Decimal(f.ratings)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
    hidden["mean_rating"] = hidden["ratings"]
    return f


def _period_median(row: Mapping[str, Any] | None) -> tuple[int | None, bool, bool]:
    if row is None:
        return None, False, False
    return row.get("median_working_days"), False, row.get("decided") is None


def _month_median(rows: list[Mapping[str, Any]]) -> tuple[int | None, bool, bool]:
    median, over = median_from_cumulative(rows)
    return median, over, bool(rows) and median is None and not over


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
    """Every agency's figures over `months` ('YYYY-MM', one of the periods of
    `performance-by-agency-period`): in total, and with `detail` also per month and per
    service."""
    months = sorted(set(months))
    wanted = set(months)

    def inside(name: str) -> list[Mapping[str, Any]]:
        return [r for r in rows_by_dataset.get(name, ()) if r["month"] in wanted]

    period: dict[tuple[str, str], Mapping[str, Any]] = {}
    if months:
        for r in rows_by_dataset.get(DS_PERIOD, ()):
            if r["first_month"] == months[0] and r["last_month"] == months[-1]:
                period[(r["agency"], r["service"])] = r
    apps = {(r["agency"], r["month"]): r for r in inside(DS_AGENCY)}
    appeals = {(r["agency"], r["month"]): r for r in inside(DS_APPEALS_AGENCY)}
    days = _index([r for r in inside(DS_DAYS) if r["service"] == ALL_SERVICES], "agency", "month")
    result = {}
    for code, names in sorted(agencies(rows_by_dataset).items()):
        row = period.get((code, ALL_SERVICES))
        ev = AgencyEvaluation(agency=code, names=names,
                              total=_figures(row, row, _period_median(row)))  # fmt: skip
        if detail:
            for month in months:
                ev.by_month[month] = _figures(
                    apps.get((code, month)), appeals.get((code, month)),
                    _month_median(days.get((code, month), [])),
                )
            for (agency, service), srow in sorted(period.items()):
                if agency == code and service != ALL_SERVICES:
                    ev.by_service[service] = _figures(srow, None, _period_median(srow))
        result[code] = ev
    return result


@dataclass(frozen=True)
class TopGround:
    """One service's ground for refusal over a period, and its refusals (None: 1–4, not
    published)."""

    service: str
    ground: str
    labels: dict[str, str]
    refused: int | None


def top_grounds(rows_by_dataset: Mapping[str, Rows], months: Sequence[str], agency: str,
                limit: int = 5) -> list[TopGround]:
    """The agency's most frequent grounds for refusal over `months` (see the module
    docstring)."""
    if not months:
        return []
    first, last = min(months), max(months)
    found = [
        TopGround(r["service"], r["ground"],
                  {lang: r.get(f"ground_label_{lang}") or "" for lang in ("kk", "ru", "en")},
                  None if r["refused"] is None else int(r["refused"]))
        for r in rows_by_dataset.get(DS_GROUNDS_PERIOD, ())
        if r["agency"] == agency and r["first_month"] == first and r["last_month"] == last
        and r["refused"] != 0
    ]  # fmt: skip
    found.sort(key=lambda t: (t.refused is None, -(t.refused or 0), t.service, t.ground))
    return found[:limit]


# --- periods and slugs ------------------------------------------------------------------------


def years_in(rows_by_dataset: Mapping[str, Rows]) -> list[int]:
    return sorted(
        {int(r["month"][:4]) for name in MONTHLY for r in rows_by_dataset.get(name, ())},
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
    """The current version of each dataset the evaluation reads, as its number and the moment it
    was stored ('-' when one was never published): what the page's cache is keyed by. The moment
    matters: a database restored from a backup (or a test's rolled-back one) can hold a version
    with the same number but other data, and must not be served the cached figures of the
    other."""
    from .models import DatasetVersion

    current = {
        name: f"{number}@{created.timestamp():.6f}"
        for name, number, created in DatasetVersion.objects.filter(
            dataset__name__in=USED, current=True
        ).values_list("dataset__name", "number", "created")
    }
    return ".".join(current.get(name, "-") for name in USED)


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


def published_window(rows_by_dataset: Mapping[str, Rows], period_key: str) -> list[str] | None:
    """The months the published row of `period_key` covers ('YYYY-MM', in order), or None.
    "The last 12 months" are the ones of the last publication: between the first of a month and
    that day's publication the calendar's window has moved on but the data has not."""
    for r in rows_by_dataset.get(DS_PERIOD, ()):
        if r["period"] == period_key and r["first_month"] and r["last_month"]:
            year, month = (int(x) for x in r["first_month"].split("-"))
            months: list[str] = []
            while (label := f"{year:04d}-{month:02d}") <= r["last_month"]:
                months.append(label)
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            return months
    return None


def current(months: Sequence[str], period_key: str) -> tuple[
    str, dict[str, AgencyEvaluation], list[int], dict[str, str], list[str],
    dict[str, list[TopGround]],
]:
    """(data version, every agency's evaluation over the period, the years with data, {slug:
    agency}, the period's months, every agency's top grounds for refusal) for the currently
    published versions, cached per data version and period: a new publication changes the
    version, so a stale figure is never served.
    `months` is the calendar's idea of the period; the published period row's months win."""
    from django.core.cache import cache

    version = data_version()
    key = f"opendata:performance:{version}:{period_key}"
    hit = cache.get(key)
    if hit is None:
        rows = published_rows()
        window = published_window(rows, period_key) or list(months)
        grounds = {code: top_grounds(rows, window, code) for code in agencies(rows)}
        hit = (evaluate(rows, window), years_in(rows), slugs(agencies(rows)), window, grounds)
        cache.set(key, hit, CACHE_TTL)
    return (version, *hit)
