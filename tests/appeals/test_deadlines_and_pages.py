"""Deadlines in working days with escalation to the head (re-runnable); the officer's inbox by
deadline with keyset pages and a fixed number of queries; the portal and back office pages;
analytics pictures; the demo command."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.appeals import services
from qyzmet.appeals.models import Appeal
from qyzmet.core.calendar import calendar_default
from qyzmet.notifications.selectors import notification_list_for_user

from .conftest import JPEG, ORG, SPB

pytestmark = pytest.mark.django_db


def _routed(citizen, triager, text="Яма на дороге во дворе", **place):
    place = place or {"lat": SPB[0], "lon": SPB[1]}
    appeal = services.appeal_submit(actor=citizen, text=text, language="ru", **place)
    return services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code=ORG)


def test_deadline_is_15_working_days(citizen, orgs):
    appeal = services.appeal_submit(actor=citizen, text="Яма", address="ул. Абая, 1")
    # The deadline counts from the day in the platform's time zone (Almaty), not UTC's day.
    start = timezone.localtime(appeal.created_at).date()
    assert calendar_default().working_days_between(start, appeal.due_date) == 15


def test_escalation_to_head_once(citizen, triager, head, django_capture_on_commit_callbacks):
    appeal = _routed(citizen, triager)
    today = calendar_default().add_working_days(appeal.due_date, 1)  # the day after the deadline
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deadlines_flag(today=today) == {"due_soon": 0, "overdue": 1}
    assert services.deadlines_flag(today=today) == {"due_soon": 0, "overdue": 0}
    bodies = [n.body for n in notification_list_for_user(user_id=head.pk, limit=10)]
    assert any(appeal.number in b for b in bodies)


def test_due_soon_warns_the_head(citizen, triager, head, django_capture_on_commit_callbacks):
    appeal = _routed(citizen, triager)
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.deadlines_flag(today=appeal.due_date - dt.timedelta(days=0))
    assert counts["due_soon"] == 1
    assert notification_list_for_user(user_id=head.pk, limit=10)


def test_inbox_keyset_pages_by_deadline_with_fixed_queries(citizen, triager, officer):
    appeals = [_routed(citizen, triager, text=f"Проблема номер {i} во дворе",
                       address=f"ул. {i}") for i in range(7)]
    Appeal.objects.filter(pk=appeals[3].pk).update(due_date=dt.date(2020, 1, 1))
    client = Client()
    client.force_login(officer)
    client.get("/backoffice/appeals/")  # warm up sessions and caches
    with CaptureQueriesContext(connection) as first:
        page = client.get("/backoffice/appeals/", {"organisation": ORG})
    assert page.status_code == 200
    from qyzmet.appeals import selectors

    p1 = selectors.inbox_list(user=officer, limit=3)
    assert p1.items[0].pk == appeals[3].pk  # earliest deadline first
    seen = [a.pk for a in p1.items]
    cursor = p1.next_cursor
    while cursor:
        page_n = selectors.inbox_list(user=officer, cursor=cursor, limit=3)
        seen += [a.pk for a in page_n.items]
        cursor = page_n.next_cursor
    assert sorted(seen) == sorted(a.pk for a in appeals) and len(seen) == 7
    for i in range(10):
        _routed(citizen, triager, text=f"Ещё одна проблема {i}", address=f"пр. {i}")
    with CaptureQueriesContext(connection) as second:
        client.get("/backoffice/appeals/", {"organisation": ORG})
    assert len(second) == len(first)


def test_portal_submit_detail_rate_reopen(citizen, officer, triager,
                                          django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = Client()
    client.force_login(citizen)
    assert client.get("/appeals/new/").status_code == 200
    bad = client.post("/appeals/new/", {"text": "", "lat": SPB[0], "lon": SPB[1]})
    assert bad.status_code == 422 and Appeal.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post("/appeals/new/", {
            "text": "Сломана скамейка", "lat": str(SPB[0]), "lon": str(SPB[1]),
            "photos": [SimpleUploadedFile("a.jpg", JPEG)],
        })
    appeal = Appeal.objects.get()
    assert ok.status_code == 302 and ok["Location"] == f"/my/appeals/{appeal.pk}/"
    assert appeal.photos.count() == 1
    assert appeal.number.encode() in client.get("/my/appeals/").content
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code=ORG)
    officer_client = Client()
    officer_client.force_login(officer)
    case = officer_client.get(f"/backoffice/appeals/{appeal.pk}/")
    assert case.status_code == 200
    photo = appeal.photos.get()
    assert officer_client.get(
        f"/backoffice/appeals/{appeal.pk}/photos/{photo.pk}/").content == JPEG
    officer_client.post(f"/backoffice/appeals/{appeal.pk}/act/",
                        {"action": "answer", "text": "Скамейка заменена"})
    client.post(f"/my/appeals/{appeal.pk}/rate/", {"rating": "5"})
    appeal.refresh_from_db()
    assert appeal.status == "closed" and appeal.rating == 5
    client.post(f"/my/appeals/{appeal.pk}/reopen/", {"reason": "Снова сломана"})
    appeal.refresh_from_db()
    assert appeal.status == "reopened" and appeal.reopen_count == 1


def test_answer_templates_in_the_citizens_language(citizen, officer, triager):
    appeal = services.appeal_submit(actor=citizen, text="Аулада жарық жоқ", address="Абай, 1",
                                    category="improvement", language="kk")
    services.appeal_route(actor=triager, appeal_id=appeal.pk, organisation_code=ORG)
    client = Client()
    client.force_login(officer)
    page = client.get(f"/backoffice/appeals/{appeal.pk}/").content.decode()
    assert "Құрметті өтініш беруші" in page and appeal.number in page


def test_triage_page_one_click_route(citizen, triager, broken_model,
                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        appeal = services.appeal_submit(actor=citizen, text="Яма", address="ул. Абая, 1")
    client = Client()
    client.force_login(triager)
    page = client.get("/backoffice/appeals/triage/").content.decode()
    assert appeal.number in page and "broken-1" in page
    response = client.post(f"/backoffice/appeals/{appeal.pk}/act/",
                           {"action": "route", "organisation_code": ORG, "next": "triage"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.organisation_code == ORG


def test_analytics_pictures_and_tables(citizen, triager, officer):
    for i in range(3):
        _routed(citizen, triager, text=f"Проблема {i} во дворе",
                lat=SPB[0] + i * 0.01, lon=SPB[1])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    page = client.get("/backoffice/appeals/analytics/").content.decode()
    assert "Map of 3 appeals by place" in page and "<table>" in page
    for name in ("weekly", "category", "district", "organisation", "hotspots"):
        png = client.get(f"/backoffice/appeals/analytics/{name}.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG"), name
    assert client.get("/backoffice/appeals/analytics/nope.png").status_code == 404


def test_demo_command_is_idempotent_and_prints_the_key(db, capsys):
    call_command("appeals_demo")
    first = capsys.readouterr().out
    call_command("appeals_demo")
    second = capsys.readouterr().out
    key_line = [line for line in first.splitlines() if line.startswith("Open311 api_key: ")]
    assert key_line and key_line[0] in second
    assert services.open311_key_check(raw=key_line[0].split(": ", 1)[1]) is not None
