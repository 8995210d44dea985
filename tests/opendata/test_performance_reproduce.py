"""A journalist's check: every agency's figures recomputed from the published CSV files alone
(downloaded over HTTP, read with the `csv` module, the method of docs/open-government.md written
again here in plain Python, without the platform's code) equal what /agencies/performance/ shows
and what `qyzmet.opendata.performance` returns; a changed cell changes the figure; and an agency
with many months of 1–4 refusals gets its true refusal rate (no selection bias from
suppression)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qyzmet.opendata import performance
from qyzmet.opendata.models import DatasetVersion
from tests.opendata import performance_world

pytestmark = pytest.mark.django_db

NAMES = ["performance-by-agency-period", "applications-by-agency-month",
         "appeals-by-agency-month"]
NOT_PUBLISHED = "not published (fewer than 5)"


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


def _pct(row: dict[str, str] | None, part: str, *wholes: str) -> str:
    if row is None:
        return "—"
    cells = [_num(row[x]) for x in (part, *wholes)]
    if None in cells:
        return NOT_PUBLISHED
    if not sum(cells[1:]):
        return "—"
    return str((Decimal(100 * cells[0]) / sum(cells[1:])).quantize(Decimal("0.1"), ROUND_HALF_UP))


def recompute(files: dict[str, list[dict[str, str]]], months: list[str]) -> dict[str, dict]:
    """{English agency name: {column: text as the page shows it}}, following the documented
    method step by step: the period's row of performance-by-agency-period, service «*»."""
    period = {r["agency"]: r for r in files[NAMES[0]]
              if r["first_month"] == months[0] and r["last_month"] == months[-1]
              and r["service"] == "*"}  # fmt: skip
    names = {r["agency"]: r["agency_name_en"] for r in files[NAMES[1]] + files[NAMES[2]]}
    result = {}
    for code, name in names.items():
        r = period.get(code)
        figures = {"Applications": "0" if r is None else r["submitted"] or NOT_PUBLISHED}
        figures["within"] = _pct(r, "decided_in_time", "decided")
        if r is None or (r["median_working_days"] == "" and r["decided"] != ""):
            figures["median"] = "—"
        else:
            figures["median"] = r["median_working_days"] or NOT_PUBLISHED
        figures["refusals"] = _pct(r, "refused", "approved", "refused")
        figures["appeals"] = _pct(r, "answered_in_time", "answered")
        if r is None or r["rated"] == "0":
            figures["rating"] = "—"
        elif r["rated"] == "":
            figures["rating"] = NOT_PUBLISHED
        else:
            figures["rating"] = str((Decimal(int(r["rating_sum"])) / int(r["rated"]))
                                    .quantize(Decimal("0.01"), ROUND_HALF_UP))  # fmt: skip
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


def _text(f, name: str) -> str:
    value = getattr(f, name)
    if value is None:
        return NOT_PUBLISHED if f.suppressed.get(name) else "—"
    return str(value)


def module_figures(months: list[str]) -> dict[str, dict]:
    evaluation = performance.evaluate(performance.published_rows(), months, detail=False)
    out = {}
    for ev in evaluation.values():
        f = ev.total
        median = "more than 60" if f.median_over_max else _text(f, "median_days")
        out[ev.names["en"]] = {
            "Applications": _text(f, "applications"), "within": _text(f, "within_deadline_pct"),
            "median": median, "refusals": _text(f, "refusal_rate_pct"),
            "appeals": _text(f, "appeals_in_time_pct"), "rating": _text(f, "mean_rating"),
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
    months = performance.last_complete_months(world["today"])
    recomputed = recompute(files, months)
    shown = page_figures(client)
    assert set(recomputed) == {"Ministry of Justice", "Transport Committee", "City Akimat"}
    assert shown == recomputed
    assert module_figures(months) == recomputed
    # Not trivially equal: the world has real numbers, and some cells are suppressed.
    justice = recomputed["Ministry of Justice"]
    assert int(justice["Applications"]) > 200
    assert all(justice[k] not in ("—", NOT_PUBLISHED) for k in COLUMNS)
    assert any(r["refused"] == "" for r in files["applications-by-agency-month"])


def test_a_year_reproduces_too(world):
    client = Client()
    files = download(client)
    year = world["today"].year - 1
    months = performance.year_months(year)
    assert page_figures(client, f"?period={year}") == recompute(files, months)


def test_a_changed_cell_changes_the_recomputed_figure(world):
    client = Client()
    files = download(client)
    months = performance.last_complete_months(world["today"])
    before = recompute(files, months)["Ministry of Justice"]
    row = next(r for r in files[NAMES[0]] if r["agency"] == "perf-justice" and r["service"] == "*"
               and r["first_month"] == months[0] and r["last_month"] == months[-1])
    row["submitted"] = str(int(row["submitted"]) + 7)
    row["decided_in_time"] = str(int(row["decided_in_time"]) - 5)
    row["refused"] = str(int(row["refused"]) + 9)
    row["rating_sum"] = str(int(row["rating_sum"]) + 40)
    row["median_working_days"] = str(int(row["median_working_days"]) + 1)
    after = recompute(files, months)["Ministry of Justice"]
    for column in ("Applications", "within", "refusals", "rating", "median"):
        assert after[column] != before[column], column
    row["refused"] = ""  # suppressed: the rate is not published, never guessed
    assert recompute(files, months)["Ministry of Justice"]["refusals"] == NOT_PUBLISHED
    assert page_figures(client)["Ministry of Justice"] == before  # the page still shows the data


def test_many_months_of_few_refusals_give_the_true_rate(db):
    """An agency with 30 decisions a month: 8 months with 2 refusals (each suppressed in the
    monthly table) and 4 months with 8. The true rate is 48 / 360 = 13.3 %; leaving out the
    suppressed months (the old method) would say 32 / 120 = 26.7 %."""
    from qyzmet.applications.models import Application
    from tests.identity.factories import OrganisationFactory, UserFactory

    OrganisationFactory(code="bias-agency", name_en="Bias Agency", name_ru="Ведомство",
                        name_kk="Мекеме")  # fmt: skip
    applicant = UserFactory()
    months = performance.last_complete_months(timezone.localdate())
    apps = []
    for i, month in enumerate(months):
        first = dt.date(int(month[:4]), int(month[5:]), 3)
        refusals = 8 if i % 3 == 0 else 2
        for j in range(30):
            outcome = "refused" if j < refusals else "approved"
            apps.append(Application(
                service_version_id=1, service_code="bias-service", agency_code="bias-agency",
                applicant=applicant, applicant_iin=applicant.iin, state=outcome,
                outcome=outcome, is_open=False, submitted_at=performance_world._at(first),
                decided_at=performance_world._at(first + dt.timedelta(days=j % 7), 16),
                due_date=first + dt.timedelta(days=20),
            ))  # fmt: skip
    Application.objects.bulk_create(apps)
    performance_world.publish()
    cache.clear()  # the page's cache is keyed by version numbers, the same in every test
    client = Client()
    files = download(client)
    monthly = [r for r in files[NAMES[1]] if r["agency"] == "bias-agency"]
    assert sum(r["refused"] == "" for r in monthly) == 8  # the months with 2 refusals
    # what leaving out the suppressed months gives: biased
    kept = [r for r in monthly if r["refused"] != ""]
    old = Decimal(100 * sum(int(r["refused"]) for r in kept)) / sum(
        int(r["refused"]) + int(r["approved"]) for r in kept)
    assert round(old, 1) == Decimal("26.7")
    true = "13.3"
    assert recompute(files, months)["Bias Agency"]["refusals"] == true
    assert page_figures(client)["Bias Agency"]["refusals"] == true
    evaluation = performance.evaluate(performance.published_rows(), months)
    assert str(evaluation["bias-agency"].total.refusal_rate_pct) == true
    # month by month the suppressed months are gaps, not zeros
    by_month = evaluation["bias-agency"].by_month
    gaps = [m for m, f in by_month.items() if f.refusal_rate_pct is None]
    assert len(gaps) == 8 and all(by_month[m].suppressed["refusal_rate_pct"] for m in gaps)
    assert page_figures(client)["Bias Agency"]["Applications"] == "360"
