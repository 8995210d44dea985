"""Analytics over time: appeals per week for the largest categories, districts and organisations
(the rest as one line) and weekly deadline compliance, for a chosen period; one GROUP BY per
chart whatever the number of appeals, drawn as accessible inline SVG with the numbers as a
table."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.appeals import charts, selectors, services
from qyzmet.appeals.models import Appeal

from .conftest import ORG, OTHER_ORG, SPB

pytestmark = pytest.mark.django_db

CATEGORIES = [
    "improvement",
    "housing",
    "roof",
    "facade",
    "heating",
    "sanitation",
    "sewerage",
    "water-supply",
    "basements",
]
TODAY = timezone.localdate()  # the page's own "today": periods count back from this week


def _monday(weeks_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=TODAY.weekday()) - dt.timedelta(weeks=weeks_ago)


def _appeal(
    citizen,
    *,
    weeks_ago: int,
    category: str,
    district: str | None = None,
    org: str | None = None,
    answered_on_time: bool | None = None,
) -> Appeal:
    appeal = services.appeal_submit(
        actor=citizen,
        text=f"Проблема: {category}",
        lat=SPB[0],
        lon=SPB[1],
        category=category,
        language="ru",
    )
    when = timezone.make_aware(dt.datetime.combine(_monday(weeks_ago), dt.time(12)))
    changes = {"created_at": when, "district": district, "organisation_code": org}
    if answered_on_time is not None:
        changes.update(
            answered_on_time=answered_on_time,
            answered_at=when + dt.timedelta(days=1),
            status="answered",
        )
    Appeal.objects.filter(pk=appeal.pk).update(**changes)
    return appeal


@pytest.fixture
def spread(citizen, orgs):
    """Nine categories over three weeks; two districts and two organisations; answers."""
    for i, category in enumerate(CATEGORIES):
        for _ in range(len(CATEGORIES) - i):  # improvement 9 appeals … basements 1
            _appeal(
                citizen,
                weeks_ago=i % 3,
                category=category,
                district="Невский" if i % 2 else "Центральный",
                org=ORG if i < 4 else OTHER_ORG,
            )
    _appeal(citizen, weeks_ago=1, category="roof", answered_on_time=True)
    _appeal(citizen, weeks_ago=1, category="roof", answered_on_time=False)
    _appeal(citizen, weeks_ago=0, category="roof", answered_on_time=True)
    _appeal(citizen, weeks_ago=30, category="roof")  # outside 26 weeks
    return citizen


def test_top_categories_over_time_and_the_rest_as_one_line(spread):
    data = selectors.analytics(period="26w", today=TODAY)
    assert data["weeks"][0] == _monday(25) and data["weeks"][-1] == _monday(0)
    assert len(data["weeks"]) == 26
    series = data["series"]["category"]
    assert len(series["keys"]) == selectors.SERIES_TOP + 1
    assert series["keys"][-1] == selectors.OTHER
    # roof: 7 in the grid + 3 answered (inside the period); the one 30 weeks ago is left out.
    assert dict(series["totals"])["roof"] == 10 and series["keys"][0] == "roof"
    assert dict(series["totals"])["improvement"] == 9
    other = series["values"][selectors.OTHER]
    assert sum(other) == sum(n for k, n in series["totals"][selectors.SERIES_TOP :])
    per_week = [
        sum(series["values"][k][i] for k in series["keys"]) for i in range(len(data["weeks"]))
    ]
    assert per_week == [n for _w, n in data["weekly"]]
    assert data["total"] == sum(per_week) == 48
    assert dict(data["by_district"]) == {"Центральный": 25, "Невский": 20, "—": 3}
    assert set(data["series"]["organisation"]["keys"]) == {ORG, OTHER_ORG, None}


def test_period_filter(spread):
    four = selectors.analytics(period="4w", today=TODAY)
    everything = selectors.analytics(period="all", today=TODAY)
    assert len(four["weeks"]) == 4 and four["total"] == 48
    assert everything["total"] == 49 and everything["weeks"][0] == _monday(30)
    assert len(everything["weeks"]) == 31
    assert selectors.analytics(period="nonsense", today=TODAY)["period"] == "26w"


def test_compliance_per_week_of_the_answer(spread):
    data = selectors.analytics(period="4w", today=TODAY)
    weekly = {w: (n, on_time) for w, n, on_time in data["compliance_weekly"]}
    assert weekly[_monday(1)] == (2, 1) and weekly[_monday(0)] == (1, 1)
    assert weekly[_monday(3)] == (0, 0)
    assert (data["answered"], data["on_time"]) == (3, 2)
    assert data["compliance"] == pytest.approx(2 / 3)


def test_one_group_by_per_chart_whatever_the_data(spread, citizen):
    with CaptureQueriesContext(connection) as queries:
        selectors.analytics(period="all", today=TODAY)
    sql = [q["sql"].upper() for q in queries]
    assert len(sql) == 5  # 3 dimensions + compliance + the map's points
    assert sum("GROUP BY" in s for s in sql) == 4
    for weeks_ago in range(40):
        _appeal(
            citizen,
            weeks_ago=weeks_ago,
            category=CATEGORIES[weeks_ago % 9],
            district=f"Район {weeks_ago}",
            org=ORG,
            answered_on_time=bool(weeks_ago % 2),
        )
    with CaptureQueriesContext(connection) as more:
        selectors.analytics(period="all", today=TODAY)
    assert len(more) == len(queries)


def test_page_queries_do_not_grow_and_pictures_are_accessible(spread, citizen, officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    client.get("/backoffice/appeals/analytics/")  # warm up the session
    with CaptureQueriesContext(connection) as small:
        page = client.get("/backoffice/appeals/analytics/", {"period": "all"})
    assert page.status_code == 200
    for weeks_ago in range(20):
        _appeal(
            citizen,
            weeks_ago=weeks_ago,
            category=CATEGORIES[weeks_ago % 9],
            district=f"Район {weeks_ago}",
            org=OTHER_ORG,
            answered_on_time=True,
        )
    with CaptureQueriesContext(connection) as large:
        page = client.get("/backoffice/appeals/analytics/", {"period": "all"})
    assert len(large) == len(small)
    assert sum("GROUP BY" in q["sql"].upper() for q in large) == 4
    html = page.content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 4
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 (our own page): well-formed
        ns = "{http://www.w3.org/2000/svg}"
        assert root.get("role") == "img"
        title_id, desc_id = root.get("aria-labelledby").split()
        assert root.find(f"{ns}title").get("id") == title_id
        assert root.find(f"{ns}desc").get("id") == desc_id
        assert root.find(f"{ns}desc").text.endswith("table after the chart.") or (
            "on time" in root.find(f"{ns}desc").text
        )
        assert root.findall(f".//{ns}polyline")
    assert "Appeals per week by category" in html and "All others" in html
    assert "The largest is Roof with" in html  # the desc names the top category by its name
    assert '<th scope="col">Week from</th>' in html
    assert "Deadline compliance per week" in html and "50%" in html


def test_labels_are_escaped_in_the_svg(citizen, officer, orgs):
    _appeal(citizen, weeks_ago=0, category="roof", district='<script>alert("x")</script>')
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    html = client.get("/backoffice/appeals/analytics/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_russian_page_and_district_names_in_the_language(spread, officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    client.force_login(officer)
    html = client.get("/backoffice/appeals/analytics/", {"period": "13w"}).content.decode()
    assert "Обращения по неделям и категориям" in html and "Все остальные" in html
    assert "Невский район" in html  # the pack's Russian name of the district
    assert '<option value="13w" selected>' in html
    png = client.get("/backoffice/appeals/analytics/district.png", {"period": "13w"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_chart_with_gaps_and_without_data():
    weeks = [_monday(2), _monday(1), _monday(0)]
    svg = charts.line_chart_svg(
        chart_id="c",
        title="T",
        desc="D",
        weeks=weeks,
        lines=[charts.Line("share", [50.0, None, 100.0])],
        percent=True,
    )
    root = ET.fromstring(str(svg))  # noqa: S314
    ns = "{http://www.w3.org/2000/svg}"
    assert root.findall(f".//{ns}polyline") == []  # no two neighbouring weeks to join
    assert len(root.findall(f".//{ns}circle")) == 2
    empty = charts.line_chart_svg(
        chart_id="e",
        title="T",
        desc="D",
        weeks=weeks,
        lines=[charts.Line("x", [None, None, None])],
        empty="Nothing",
    )
    assert "Nothing" in str(empty)
