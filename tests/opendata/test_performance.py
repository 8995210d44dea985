"""The performance datasets and pages: groups with small cells suppressed and nothing about a
person, the method's medians, the public pages (anonymous, no codes, charts with tables) and the
cache keyed by the published version."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.core import open_datasets
from qyzmet.opendata import performance
from qyzmet.opendata import performance_datasets as pd
from qyzmet.opendata.models import Resource
from tests.opendata import performance_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    built = performance_world.build()
    built["rows"] = performance_world.publish()
    return built


def test_every_dataset_is_published_with_multilingual_field_words(world):
    names = {p.name for p in open_datasets.publishers()}
    assert set(pd.DATASETS) <= names
    for publisher in open_datasets.publishers():
        if publisher.name in pd.DATASETS:
            assert set(publisher.title) == {"kk", "ru", "en"}
            for field in publisher.schema["fields"]:
                assert set(field["titles"]) == set(field["descriptions"]) == {"kk", "ru", "en"}
    published = Resource.objects.filter(version__dataset__name__in=pd.DATASETS)
    assert published.count() == 2 * len(pd.DATASETS)  # CSV and JSON


def test_no_small_cell_and_nothing_about_a_person(world):
    rows = world["rows"]
    for name, table in rows.items():
        publisher = next(p for p in open_datasets.publishers() if p.name == name)
        counts = [f["name"] for f in publisher.schema["fields"] if f.get("personal") == "count"]
        assert counts, name
        for row in table:
            for column in counts:
                assert row[column] is None or row[column] == 0 or row[column] >= 5, (name, row)
    files = b"".join(bytes(r.content) for r in Resource.objects.all())
    from qyzmet.applications.models import Application

    iin = Application.objects.first().applicant_iin
    assert iin.encode() not in files
    assert b"QZ-" not in files
    # something was suppressed, so the rule was exercised
    assert any(r["rated"] is None for r in rows[pd.DS_APPEALS_AGENCY] + []) or any(
        r["ratings"] is None for r in rows[pd.DS_RATINGS]
    )


def test_medians_are_computed_from_cumulative_counts():
    assert pd.median_low([(3, 1), (1, 1), (2, 1), (10, 1)]) == 2
    assert pd.median_low([]) is None

    def rows(month, decided, within):
        return [{"month": month, "decided": decided, "working_days": d,
                 "decided_within": within.get(d, max([v for k, v in within.items() if k <= d],
                                                     default=0))}
                for d in range(pd.MAX_DAYS + 1)]  # fmt: skip

    # month A: 10 decisions, 6 within 2 days; month B: 10, 2 within 2 days (suppressed), 5 in 3
    a = rows("2025-01", 10, {0: 0, 1: 0, 2: 6, 5: 10})
    b = rows("2025-02", 10, {0: 0, 1: 0, 2: 2, 3: 5, 5: 9, 8: 10})
    for r in b:
        if r["working_days"] == 2:
            r["decided_within"] = None  # suppressed: counts as 0
    assert performance.median_from_cumulative(a) == (2, False)
    # pooled: n = 20; d=2: 6 + (1–4) is 7–10: the median may be 2 or 3, so it is not known
    assert performance.median_from_cumulative(a + b) == (None, False)
    for r in b:
        if r["working_days"] == 2:
            r["decided_within"] = 2  # published: d=2: 6 + 2 = 8 < 10; d=3: 6 + 5 = 11 ≥ 10 → 3
    assert performance.median_from_cumulative(a + b) == (3, False)
    slow = rows("2025-03", 10, {pd.MAX_DAYS: 4})
    for r in slow:
        r["decided_within"] = None
    assert performance.median_from_cumulative(slow) == (None, True)


def test_pages_are_public_and_show_names_not_codes(world):
    client = Client()
    index = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="ru")
    assert index.status_code == 200
    html = index.content.decode()
    assert "Министерство юстиции" in html and "perf-justice" not in html
    agency = client.get("/agencies/performance/ministry-of-justice/", HTTP_ACCEPT_LANGUAGE="kk")
    assert agency.status_code == 200
    html = agency.content.decode()
    assert "Әділет министрлігі" in html and "perf-justice" not in html
    assert 'id="months"' in html and 'id="services"' in html
    assert "ie-registration" not in html
    png = client.get("/agencies/performance/ministry-of-justice/within.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert client.get("/agencies/performance/perf-justice/").status_code == 404
    assert client.get("/agencies/performance/ministry-of-justice/pie.png").status_code == 404
    assert client.get("/agencies/performance/method/").status_code == 200


@pytest.mark.parametrize("query", ["?period=abc", "?period=99999", "?sort=%00", "?sort=rating",
                                   "?period=1999&sort=median"])
def test_bad_or_odd_input_never_crashes(world, query):
    client = Client()
    expected = 400 if "%00" in query else 200  # the input guard refuses control characters
    assert client.get(f"/agencies/performance/{query}").status_code == expected
    assert client.get(f"/agencies/performance/city-akimat/{query}").status_code == expected


def test_sorting_orders_the_rows(world):
    client = Client()
    html = client.get("/agencies/performance/?sort=applications",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    order = [html.index(n) for n in ("Ministry of Justice", "City Akimat", "Transport")]
    months = performance.last_complete_months(world["today"])
    totals = performance.evaluate(performance.published_rows(), months, detail=False)
    assert totals["perf-justice"].total.applications >= totals["perf-akimat"].total.applications
    assert order[0] < order[1] or order[0] < order[2]


def test_the_page_follows_a_new_publication(world):
    client = Client()
    before = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content
    version = performance.data_version()
    performance_world.build(seed=99, months=2, per_month=30, agencies=False)
    performance_world.publish()
    assert performance.data_version() != version
    after = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content
    assert after != before


def test_last_12_months_are_the_published_ones_when_the_calendar_moves_on(world, monkeypatch):
    """Between the first of a month and that day's publication the calendar's twelve months are
    not the published ones: the page keeps showing the published window, not zeros."""
    import datetime as dt
    import re

    from django.core.cache import cache
    from django.utils import timezone

    client = Client()
    today = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cache.clear()
    later = timezone.localdate() + dt.timedelta(days=40)  # a month the data has not reached
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    moved = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Ministry of Justice" in moved
    def figures(html: str) -> str:  # the page without its per-response CSRF token
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)

    assert figures(moved) == figures(today)  # the same published figures, not an empty window
    window = performance.published_window(performance.published_rows(), "12m")
    assert window is not None and len(window) == 12
    assert window[-1] < later.strftime("%Y-%m")


def test_a_restored_catalogue_with_the_same_version_numbers_is_not_served_stale_figures(world):
    """The page's cache is keyed by the published versions. A database restored from a backup
    (or rebuilt) can hold version 1 of every dataset again, with other data: the figures must
    be the new ones."""
    from qyzmet.opendata.models import Dataset

    client = Client()
    before = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content
    version = performance.data_version()
    Dataset.objects.all().delete()
    performance_world.build(seed=99, months=2, per_month=30, agencies=False)
    performance_world.publish()
    assert performance.data_version().split(".")[0].split("@")[0] == version.split("@")[0]
    after = client.get("/agencies/performance/", HTTP_ACCEPT_LANGUAGE="en").content
    assert after != before
