"""Refusals by ground: the open dataset counts refusals per agency, service, coded ground and
month (cells of 1–4 empty, no free text), the agency page's «most frequent grounds» table is
reproduced from the published CSV alone, and the retired per-service tables get no new
version."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from qyzmet.core import open_datasets
from qyzmet.opendata import performance
from qyzmet.opendata import performance_datasets as pd
from qyzmet.opendata.models import Dataset, DatasetVersion
from tests.opendata import performance_world

pytestmark = pytest.mark.django_db
NAME = "refusals-by-ground"


def _csv(client: Client, name: str) -> list[dict[str, str]]:
    number = DatasetVersion.objects.get(dataset__name=name, current=True).number
    url = reverse("opendata-download", kwargs={"name": name, "number": number, "fmt": "csv"})
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def journalist_top(rows: list[dict[str, str]], agency: str, months: list[str]
                   ) -> list[tuple[str, str]]:
    """The documented method in plain Python: the period's rows of the agency (one per service
    and ground), ranked by `refused` (most first, then service and ground code), an empty cell
    ("fewer than 5") after every published one, none that is 0; at most five."""
    mine = [r for r in rows if r["agency"] == agency and r["first_month"] == months[0]
            and r["last_month"] == months[-1] and r["refused"] != "0"]
    mine.sort(key=lambda r: (r["refused"] == "", -int(r["refused"] or 0), r["service"],
                             r["ground"]))
    return [(r["ground_label_en"], r["refused"] or "fewer than 5") for r in mine[:5]]


class _Grounds(HTMLParser):
    """The rows of <table id="grounds"> as (ground, refused) text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.inside = self.cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "grounds":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif tag in ("td", "th"):
            self.cell = False

    def handle_data(self, data):
        if self.inside and self.cell:
            self.rows[-1][-1] += data.strip()


def page_top(client: Client, slug: str) -> list[tuple[str, str]]:
    response = client.get(f"/agencies/performance/{slug}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    parser = _Grounds()
    parser.feed(response.content.decode())
    return [(row[0], row[2]) for row in parser.rows[1:] if row]


@pytest.fixture
def world(db):
    built = performance_world.build()
    performance_world.publish()
    cache.clear()  # the page's cache is keyed by version numbers, the same in every test
    return built


def test_the_top_grounds_reproduce_from_the_csv_alone(world):
    client = Client()
    rows = _csv(client, NAME + "-period")
    months = performance.last_complete_months(world["today"])
    top = journalist_top(rows, "perf-justice", months)
    assert page_top(client, "ministry-of-justice") == top
    assert len(top) >= 3 and top[0][0] == "documents_false"
    assert all(n.isdigit() for _label, n in top[:3])
    # A changed cell changes the journalist's result (the check can fail).
    row = next(r for r in rows if r["agency"] == "perf-justice" and r["period"] == "12m"
               and r["ground"] == "registry_contradicts" and r["refused"])
    row["refused"] = str(int(row["refused"]) + 500)
    assert journalist_top(rows, "perf-justice", months)[0][0] == "registry_contradicts"
    # The monthly table adds up to the period's (where both are published).
    monthly = _csv(client, NAME)
    for r in rows:
        if r["period"] != "12m" or r["refused"] == "" or r is row:
            continue
        cells = [m["refused"] for m in monthly if m["agency"] == r["agency"]
                 and m["service"] == r["service"] and m["ground"] == r["ground"]
                 and m["month"] in months]
        if all(cells):
            assert sum(int(c) for c in cells) == int(r["refused"])


def test_the_dataset_counts_per_ground_with_small_cells_empty(world):
    rows = _csv(Client(), NAME)
    assert rows and set(rows[0]) == {"month", "agency", "service", "ground", "ground_label_kk",
                                     "ground_label_ru", "ground_label_en", "refused"}
    assert {r["ground"] for r in rows} >= {"documents_false", "not_recorded"}
    assert all(r["refused"] == "" or int(r["refused"]) >= 5 for r in rows)
    assert any(r["refused"] == "" for r in rows)
    not_recorded = next(r for r in rows if r["ground"] == "not_recorded")
    assert not_recorded["ground_label_ru"] == "Основание не записано"
    # Every published refusal is counted once: the dataset's cells add up to at most the
    # refusals of the period table, per agency.
    from qyzmet.applications.models import Application

    total = Application.objects.filter(outcome="refused").count()
    assert sum(int(r["refused"]) for r in rows if r["refused"]) <= total


def test_the_retired_tables_get_no_new_version(world):
    names = {p.name for p in open_datasets.publishers()}
    assert NAME in names and not set(pd.RETIRED) & names
    # A retired dataset published before keeps its versions: nothing deletes it.
    old = Dataset.objects.create(name=pd.DS_SERVICE, origin="platform", organisation="",
                                 modified=world and Dataset.objects.first().modified)
    DatasetVersion.objects.create(dataset=old, number=1, current=True, schema={"fields": []})
    from qyzmet.opendata.services import publish_all

    publish_all()
    assert list(old.versions.values_list("number", flat=True)) == [1]
