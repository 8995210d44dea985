"""The demo's history: a sample of a published appeals file imported as the last half year's
past appeals (answered on time or late, closed, still in work), once, without history rows,
duplicate links, routing suggestions or outbox events, in a bounded number of queries; the
analytics then have series over time to draw."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.appeals import charts, demo, selectors, services
from qyzmet.appeals.models import Appeal, AppealEvent, RoutingSuggestion
from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent

from .conftest import ASTANA

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2020, 10, 19, 10, 0)  # the file's local times carry no offset
CATEGORIES = ["Благоустройство", "Содержание МКД", "Кровля", "Фасад"]
CATEGORY_CODES = {
    "Благоустройство": "improvement",
    "Содержание МКД": "housing",
    "Кровля": "roof",
    "Фасад": "facade",
}
DISTRICTS = ["Невский", "Центральный", "Выборгский"]
KB = 'СПб ГКУ "Центр комплексного благоустройства"'  # the pack's spb-kb
ODD = 'СПб ГКУ "Дирекция по организации дорожного движения"'  # the pack's spb-odd
NEVSKY_ADMIN = "Администрация Невского района"  # no pack organisation: the demo makes one
ORGS = [KB, NEVSKY_ADMIN, ODD]
ON_TIME = dt.timedelta(days=2)  # far inside 15 working days
LATE = dt.timedelta(days=30)  # beyond 15 working days whatever the holidays
ANSWERED = 24  # records 0..23 were answered; 24..27, the newest, not yet
USABLE = 28
FINISHED = "Завершено: Пользователь удовлетворен решением проблемы"


def _records() -> list[dict]:
    """28 usable appeals over 23 weeks in the published file's format, and three the demo
    leaves out: one without text, one without a category, one a year older than the rest."""
    rows = []
    for i in range(USABLE):
        created = BASE + dt.timedelta(days=6 * i, hours=i)
        answered = i < ANSWERED
        delay = LATE if i % 3 == 0 else ON_TIME
        rows.append(
            {
                "id": 3000000 + i,
                "created": created.isoformat(),
                "district": DISTRICTS[i % 3],
                "object": "Дом",
                "category": CATEGORIES[i % 4],
                "reason": "Мусор во дворе",
                "text": f"Проблема номер {i}: во дворе не убирают мусор.",
                "responsible_org": ORGS[i % 3] if answered else None,
                "first_answer_at": (created + delay).isoformat() if answered else None,
                "final_status": (FINISHED if i % 2 else "Получен ответ")
                if answered
                else "Рассмотрение",
                "lat": f"{59.90 + i / 1000:.7f}",
                "lon": f"{30.30 + i / 1000:.7f}",
                "address": f"г.Санкт-Петербург, Невский проспект, дом {i + 1}",
            }
        )
    newest = rows[-1]
    rows.append({**newest, "id": 3999001, "text": "  "})
    rows.append({**newest, "id": 3999002, "category": None})
    rows.append({**rows[0], "id": 3999003, "created": (BASE - dt.timedelta(days=365)).isoformat()})
    return rows


@pytest.fixture
def history_file(tmp_path) -> Path:
    path = tmp_path / "appeals.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in _records())
    return path


def _load(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("appeals_demo", "--history", str(path), *args, stdout=out)
    return out.getvalue()


def _history() -> dict[int, Appeal]:
    """The imported appeals by their index in `_records()`."""
    return {
        int(a.attributes["imported_id"]) - 3000000: a
        for a in Appeal.objects.filter(source=demo.HISTORY_SOURCE)
    }


def test_history_is_the_last_half_year_with_its_lifecycle(history_file):
    out = _load(history_file)
    assert f"Appeals history: {USABLE} past appeals imported, 0 already there" in out
    history = _history()
    assert sorted(history) == list(range(USABLE))
    now = timezone.now()
    created = [a.created_at for a in history.values()]
    assert timezone.localdate(max(created)) == timezone.localdate(now - demo.HISTORY_LAG)
    assert min(created) >= now - dt.timedelta(weeks=26)
    # One shift for all: the gaps between appeals and their answers are the file's own.
    for i, appeal in history.items():
        assert appeal.created_at - history[0].created_at == dt.timedelta(days=6 * i, hours=i)
    records = _records()
    kb_code, odd_code = "spb-kb", "spb-odd"
    nevsky_code = services.organisation_for_label(NEVSKY_ADMIN)
    assert nevsky_code and nevsky_code not in (kb_code, odd_code)
    expected_org = {KB: kb_code, ODD: odd_code, NEVSKY_ADMIN: nevsky_code}
    for i, appeal in history.items():
        record = records[i]
        assert appeal.text == record["text"] and appeal.address == record["address"]
        assert appeal.category == CATEGORY_CODES[record["category"]]
        assert appeal.district == record["district"] and appeal.place_status == "point"
        assert (appeal.lat, appeal.lon) == (float(record["lat"]), float(record["lon"]))
        assert re.fullmatch(
            rf"A-{timezone.localtime(appeal.created_at):%Y}-0*{appeal.pk}", appeal.number
        )
        assert appeal.due_date > timezone.localdate(appeal.created_at)
        if i < ANSWERED:
            delay = LATE if i % 3 == 0 else ON_TIME
            assert appeal.organisation_code == expected_org[record["responsible_org"]]
            assert appeal.answered_at - appeal.created_at == delay
            assert appeal.answered_on_time is (delay == ON_TIME)
            finished = record["final_status"].startswith("Завершено")
            assert appeal.status == ("closed" if finished else "answered")
            assert appeal.is_open is not finished
        else:
            # No model in this test: the file does not say who handles an open appeal, so
            # it waits for triage like any appeal the model could not route.
            assert (appeal.status, appeal.is_open, appeal.organisation_code) == (
                "registered",
                True,
                None,
            )
            assert appeal.answered_at is None and appeal.answered_on_time is None
    on_time = [a.answered_on_time for a in history.values() if a.answered_at]
    assert on_time.count(True) == 16 and on_time.count(False) == 8


def test_loading_again_creates_nothing_more_and_the_history_can_be_removed(history_file):
    _load(history_file)
    first = sorted(Appeal.objects.values_list("pk", "number", "created_at", "status"))
    out = _load(history_file)
    assert f"0 past appeals imported, {USABLE} already there" in out
    assert sorted(Appeal.objects.values_list("pk", "number", "created_at", "status")) == first
    # The service on its own is idempotent too, by source and key.
    again = services.past_appeals_import(
        actor=None,
        source=demo.HISTORY_SOURCE,
        appeals=demo.history_appeals(demo.records_read(history_file)),
    )
    assert again == {"created": 0, "existing": USABLE, "skipped": 0}
    demo_appeals = Appeal.objects.filter(source="demo").count()
    assert demo_appeals == len(demo.DEMO_APPEALS)
    assert f"{USABLE} past appeals removed" in _load(history_file, "--history-remove")
    assert not Appeal.objects.filter(source=demo.HISTORY_SOURCE).exists()
    assert Appeal.objects.filter(source="demo").count() == demo_appeals
    assert AuditEntry.objects.filter(action="appeal.past_removed").count() == 1
    assert f"{USABLE} past appeals imported" in _load(history_file)


def test_without_a_file_nothing_changes(tmp_path):
    out = StringIO()
    call_command("appeals_demo", "--history", str(tmp_path / "missing.jsonl.gz"), stdout=out)
    assert "Appeals history" not in out.getvalue()
    assert not Appeal.objects.filter(source=demo.HISTORY_SOURCE).exists()


def test_past_appeals_fire_nothing_and_are_audited_once(history_file, orgs):
    appeals = demo.history_appeals(demo.records_read(history_file))
    demo.organisations_ensure(extra_labels=[NEVSKY_ADMIN])
    now = timezone.now()
    # Still in work with an organisation: long overdue, and due about now.
    appeals += [
        services.PastAppeal(
            key=f"open-{days}",
            text="Не убирают двор",
            created_at=now - dt.timedelta(days=days),
            organisation_label=KB,
            category_label="Благоустройство",
        )
        for days in (60, 20, 21, 22)
    ]
    before = (
        OutboxEvent.objects.count(),
        AppealEvent.objects.count(),
        RoutingSuggestion.objects.count(),
    )
    result = services.past_appeals_import(actor=None, source="hist-test", appeals=appeals)
    assert result == {"created": USABLE + 4, "existing": 0, "skipped": 0}
    in_work = Appeal.objects.filter(source="hist-test", status="in_work")
    assert in_work.count() == 4 and set(in_work.values_list("organisation_code", flat=True)) == {
        "spb-kb"
    }
    assert in_work.filter(due_date__lt=timezone.localdate(now)).exists()
    after = (
        OutboxEvent.objects.count(),
        AppealEvent.objects.count(),
        RoutingSuggestion.objects.count(),
    )
    assert after == before  # no events, no history rows, no suggestions
    assert not Appeal.objects.filter(source="hist-test").exclude(duplicate_state="").exists()
    audit = AuditEntry.objects.filter(action="appeal.past_imported")
    assert audit.count() == 1 and audit.get().data["created"] == USABLE + 4
    # Escalations: every past deadline counts as escalated already, so the sweep sends nothing.
    assert services.deadlines_flag() == {"due_soon": 0, "overdue": 0}
    assert OutboxEvent.objects.count() == before[0]


def test_bad_records_are_skipped_and_live_sources_refused(orgs):
    now = timezone.now()
    good = services.PastAppeal(
        key="1",
        text="Яма на дороге",
        created_at=now - dt.timedelta(days=9),
        district="Невский",
        category_label="Благоустройство",
    )
    appeals = [
        good,
        services.PastAppeal(key="2", text="Будущее", created_at=now + dt.timedelta(days=1)),
        services.PastAppeal(
            key="3",
            text="Ответ раньше",
            created_at=now - dt.timedelta(days=3),
            answered_at=now - dt.timedelta(days=4),
        ),
        services.PastAppeal(key="4", text="   ", created_at=now - dt.timedelta(days=3)),
        services.PastAppeal(
            key="5", text="Полточки", created_at=now - dt.timedelta(days=3), lat=59.9
        ),
    ]
    result = services.past_appeals_import(actor=None, source="hist-test", appeals=appeals)
    assert result == {"created": 1, "existing": 0, "skipped": 4}
    appeal = Appeal.objects.get(source="hist-test")
    assert (appeal.place_status, appeal.district, appeal.category) == (
        "district",
        "Невский",
        "improvement",
    )
    for source in ("portal", "open311", "demo", "", "x" * 11):
        with pytest.raises(ValueError):
            services.past_appeals_import(actor=None, source=source, appeals=[good])
        with pytest.raises(ValueError):
            services.past_appeals_remove(actor=None, source=source)


def test_import_takes_a_bounded_number_of_queries(history_file, orgs):
    appeals = demo.history_appeals(demo.records_read(history_file))
    demo.organisations_ensure(extra_labels=[NEVSKY_ADMIN])
    with CaptureQueriesContext(connection) as few:
        services.past_appeals_import(actor=None, source="hist-few", appeals=appeals[:5])
    with CaptureQueriesContext(connection) as many:
        services.past_appeals_import(actor=None, source="hist-many", appeals=appeals)
    assert Appeal.objects.filter(source="hist-many").count() == USABLE
    # Batched inserts (SQLite takes ~20 appeals a statement), one update, one audit row:
    # nothing per appeal.
    assert len(many) <= len(few) + 2
    assert len(many) <= 12, [q["sql"][:80] for q in many]


def test_analytics_draw_the_history(history_file, triager):
    _load(history_file)
    data = selectors.analytics(period="26w")
    history = _history()
    assert data["total"] == USABLE + len(demo.DEMO_APPEALS)
    for dimension in ("category", "district", "organisation"):
        series = data["series"][dimension]
        assert series["keys"]
        busy_weeks = {i for values in series["values"].values() for i, n in enumerate(values) if n}
        assert len(busy_weeks) >= 15, dimension  # 28 appeals six days apart: ~23 weeks
    keys = set(data["series"]["organisation"]["keys"])
    assert {"spb-kb", "spb-odd"} <= keys
    answered = [a for a in history.values() if a.answered_at]
    assert data["answered"] == len(answered) == ANSWERED
    assert data["on_time"] == sum(bool(a.answered_on_time) for a in answered)
    assert 0 < data["compliance"] < 1
    assert sum(n for _w, n, _o in data["compliance_weekly"]) == ANSWERED
    assert len(data["points"]) >= USABLE
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(triager)
    page = client.get("/backoffice/appeals/analytics/")
    assert page.status_code == 200
    pct = round(100 * data["on_time"] / data["answered"])
    assert f"Deadline compliance: {pct}%" in page.content.decode()


def test_open_history_goes_where_the_model_routes_it(history_file, tiny_model):
    _load(history_file)
    history = _history()
    still_open = [a for i, a in history.items() if i >= ANSWERED]
    routed = [a for a in still_open if a.organisation_code]
    assert routed, "the model routed none of the open appeals"
    for appeal in routed:
        assert appeal.status == "in_work" and appeal.is_open and appeal.answered_at is None
    for appeal in set(still_open) - set(routed):
        assert appeal.status == "registered"
    assert not RoutingSuggestion.objects.filter(appeal__source=demo.HISTORY_SOURCE).exists()
    assert services.deadlines_flag() == {"due_soon": 0, "overdue": 0}


def test_the_published_file_gives_half_a_year(capsys, appeals_data):
    """The real file: 600 appeals over the last 26 weeks, most weeks with appeals in every
    chart, some answered late, the newest still open."""
    call_command("appeals_demo", history=str(appeals_data), history_count=600)
    assert "Appeals history: 600 past appeals imported" in capsys.readouterr().out
    data = selectors.analytics(period="26w")
    busy = sum(1 for _w, n in data["weekly"] if n)
    assert busy >= 24
    assert 0 < data["on_time"] < data["answered"]
    history = Appeal.objects.filter(source=demo.HISTORY_SOURCE)
    newest = history.order_by("-created_at").first()
    assert newest.is_open and newest.answered_at is None
    assert history.filter(is_open=False).exists() and history.filter(status="answered").exists()


def test_the_hot_spot_map_shows_the_city_not_one_far_appeal(history_file):
    """The demo has one appeal in Astana beside hundreds in St Petersburg: the map's box is
    the city, so the history's hot spots do not shrink to one cell."""
    _load(history_file, "--history-count", "600")
    points = selectors.analytics(period="26w")["points"]
    spb = [p for p in points if p[0] > 59]
    many = spb * 4  # over 100 points: the edges may be trimmed
    west, east, south, north = charts.hotspots_extent([*many, ASTANA])
    assert south > ASTANA[0] and east < ASTANA[1]
    assert all(south <= lat <= north and west <= lon <= east for lat, lon in many)
    # Few points: every one is on the map.
    west, east, south, north = charts.hotspots_extent([*spb[:20], ASTANA])
    assert south < ASTANA[0] < north and west < ASTANA[1] < east
    png = charts.hotspots_png([*many, ASTANA], "Hot spots")
    assert png.startswith(b"\x89PNG")
