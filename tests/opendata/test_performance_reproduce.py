"""A journalist's check: every agency's figures recomputed from the published CSV files alone
(downloaded over HTTP, read with the `csv` module, the method of docs/open-government.md written
again here in plain Python, without the platform's code) equal what /agencies/performance/ shows
and what `qyzmet.opendata.performance` returns; and a changed cell changes the figure."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from qyzmet.opendata import performance
from qyzmet.opendata.models import DatasetVersion
from tests.opendata import performance_world

pytestmark = pytest.mark.django_db

NAMES = ["applications-by-agency-month", "decision-days-by-agency-month",
         "appeals-by-agency-month"]


# --- the journalist's side: only HTTP, csv and arithmetic -------------------------------------


def download(client: Client) -> dict[str, list[dict[str, str]]]:
    out = {}
    for name in NAMES:
        number = DatasetVersion.objects.get(dataset__name=name, current=True).number
        url = reverse("opendata-download", kwargs={"name": name, "number": number, "fmt": "csv"})
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        out[name] = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    return out


def _num(cell: str) -> int | None:
    return None if cell == "" else int(cell)


def _pct(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return str((Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _both(rows, part, wholes):
    p = w = 0
    for r in rows:
        cells = [_num(r[part])] + [_num(r[x]) for x in wholes]
        if None in cells:
            continue
        p += cells[0]
        w += sum(cells[1:])
    return p, w


def recompute(files: dict[str, list[dict[str, str]]], months: list[str]) -> dict[str, dict]:
    """{English agency name: {column: text as the page shows it}}, following the documented
    method step by step."""
    apps = [r for r in files[NAMES[0]] if r["month"] in months]
    days = [r for r in files[NAMES[1]] if r["month"] in months and r["service"] == "*"]
    appeals = [r for r in files[NAMES[2]] if r["month"] in months]
    names = {r["agency"]: r["agency_name_en"] for r in files[NAMES[0]] + files[NAMES[2]]}
    result = {}
    for code, name in names.items():
        a = [r for r in apps if r["agency"] == code]
        p = [r for r in appeals if r["agency"] == code]
        d = [r for r in days if r["agency"] == code]
        figures = {"Applications": str(sum(_num(r["submitted"]) or 0 for r in a))}
        figures["within"] = _pct(*_both(a, "decided_in_time", ["decided"]))
        decided = {r["month"]: int(r["decided"]) for r in d}
        within = defaultdict(int)
        for r in d:
            within[int(r["working_days"])] += _num(r["decided_within"]) or 0
        n = sum(decided.values())
        median = "—"
        if n:
            median = next((str(x) for x in range(61) if 2 * within[x] >= n), "more than 60")
        figures["median"] = median
        figures["refusals"] = _pct(*_both(a, "refused", ["approved", "refused"]))
        figures["appeals"] = _pct(*_both(p, "answered_in_time", ["answered"]))
        rated = [r for r in p if r["rated"] != ""]
        count = sum(int(r["rated"]) for r in rated)
        figures["rating"] = (
            str((Decimal(sum(int(r["rating_sum"]) for r in rated)) / count)
                .quantize(Decimal("0.01"), ROUND_HALF_UP)) if count else "—"
        )  # fmt: skip
        result[name] = figures
    return result


class _Table(HTMLParser):
    """The cells of <table id="agencies">, row by row, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.inside = self.cell = False
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "agencies":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = True
            self.rows[-1].append("")
        elif self.cell and tag == "span" and "visually-hidden" in (attrs.get("class") or ""):
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag in ("td", "th"):
            self.cell = False
        elif tag == "span" and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.inside and self.cell and not self.hidden:
            self.rows[-1][-1] += data.strip()


COLUMNS = ["Applications", "within", "median", "refusals", "appeals", "rating"]


def page_figures(client: Client, query: str = "") -> dict[str, dict]:
    response = client.get(f"/agencies/performance/{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    parser = _Table()
    parser.feed(response.content.decode())
    body = [row for row in parser.rows[1:] if row]
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in body}


def _text(value) -> str:
    return "—" if value is None else str(value)


def module_figures(months: list[str]) -> dict[str, dict]:
    evaluation = performance.evaluate(performance.published_rows(), months, detail=False)
    out = {}
    for ev in evaluation.values():
        f = ev.total
        median = "more than 60" if f.median_over_max else _text(f.median_days)
        out[ev.names["en"]] = {
            "Applications": str(f.applications), "within": _text(f.within_deadline_pct),
            "median": median, "refusals": _text(f.refusal_rate_pct),
            "appeals": _text(f.appeals_in_time_pct), "rating": _text(f.mean_rating),
        }  # fmt: skip
    return out


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture
def world(db):
    built = performance_world.build()
    performance_world.publish()
    return built


def test_figures_reproduce_from_the_csv_files_alone(world):
    client = Client()
    files = download(client)
    months = performance.last_months(world["today"])
    recomputed = recompute(files, months)
    shown = page_figures(client)
    assert set(recomputed) == {"Ministry of Justice", "Transport Committee", "City Akimat"}
    assert shown == recomputed
    assert module_figures(months) == recomputed
    # Not trivially equal: the world has real numbers, and some cells are suppressed.
    justice = recomputed["Ministry of Justice"]
    assert int(justice["Applications"]) > 200
    assert all(justice[k] != "—" for k in COLUMNS)
    assert any(r["decided_within"] == "" for r in files["decision-days-by-agency-month"])


def test_a_year_reproduces_too(world):
    client = Client()
    files = download(client)
    year = world["today"].year - 1
    months = performance.year_months(year)
    assert page_figures(client, f"?period={year}") == recompute(files, months)


def test_a_changed_cell_changes_the_recomputed_figure(world):
    client = Client()
    files = download(client)
    months = performance.last_months(world["today"])
    before = recompute(files, months)["Ministry of Justice"]
    row = next(r for r in files[NAMES[0]]
               if r["agency"] == "perf-justice" and r["month"] in months and r["submitted"]
               and r["decided"] and r["decided_in_time"] and r["refused"] and r["approved"])
    row["submitted"] = str(int(row["submitted"]) + 7)
    row["decided_in_time"] = str(int(row["decided_in_time"]) - 5)
    row["refused"] = str(int(row["refused"]) + 9)
    appeal = next(r for r in files[NAMES[2]]
                  if r["agency"] == "perf-justice" and r["month"] in months and r["rated"])
    appeal["rating_sum"] = str(int(appeal["rating_sum"]) + 40)
    for r in files[NAMES[1]]:
        if r["agency"] == "perf-justice" and r["service"] == "*" and r["month"] in months:
            r["decided_within"] = ""  # as if every cell were suppressed: no median at all
    after = recompute(files, months)["Ministry of Justice"]
    for column in ("Applications", "within", "refusals", "rating", "median"):
        assert after[column] != before[column], column
    assert page_figures(client)["Ministry of Justice"] == before  # the page still shows the data
