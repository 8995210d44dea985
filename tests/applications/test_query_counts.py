"""Hot paths do not grow their query count with the page size (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qyzmet.identity.services import api_token_issue
from tests.identity.factories import MembershipFactory
from tests.portal.factories import agency, catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    catalog_loaded()
    officer = citizen()
    MembershipFactory(user=officer, organisation=agency("kz-mvd"), role="officer")
    people = [citizen() for _ in range(5)]
    return officer, people


def _queries(client: Client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def test_inbox_query_count_does_not_depend_on_rows(world):
    officer, people = world
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=officer)}")
    submitted(people[0], key="k0")
    _queries(client, "/api/v1/inbox?limit=25")  # warm the package cache
    small, body = _queries(client, "/api/v1/inbox?limit=25")
    assert len(body["items"]) == 1
    for i, person in enumerate(people * 5):
        submitted(person, key=f"k{i + 1}")
    large, body = _queries(client, "/api/v1/inbox?limit=25")
    assert len(body["items"]) == 25
    assert large == small
    assert large <= 4  # token, roles, page (+ nothing per row)


def test_inbox_pages_cover_every_case_once_in_deadline_order(world):
    officer, people = world
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=officer)}")
    for i, person in enumerate(people * 6):
        submitted(person, key=f"p{i}")
    seen, cursor = [], None
    while True:
        url = "/api/v1/inbox?limit=7" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen.extend((item["due_date"], item["id"]) for item in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 30
    assert seen == sorted(seen)
    assert len(set(seen)) == 30


def test_citizens_list_query_count_does_not_depend_on_rows(world):
    _, people = world
    person = people[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=person)}")
    submitted(person, key="c0")
    small, body = _queries(client, "/api/v1/applications?limit=20")
    assert len(body["items"]) == 1
    for i in range(25):
        submitted(person, key=f"c{i + 1}")
    large, body = _queries(client, "/api/v1/applications?limit=20")
    assert len(body["items"]) == 20
    assert body["next_cursor"]
    assert large == small
    assert large <= 3


def test_officer_of_two_agencies_gets_one_merged_page_in_deadline_order(world):
    import datetime as dt

    from qyzmet.applications.models import Application

    officer, people = world
    MembershipFactory(user=officer, organisation=agency("kz-kpssu"), role="officer")
    for i, person in enumerate(people * 4):
        submitted(person, key=f"m{i}")
    # Spread the deadlines so the two agencies' cases interleave.
    for n, application in enumerate(Application.objects.order_by("id")):
        Application.objects.filter(pk=application.pk).update(
            agency_code="kz-kpssu" if n % 2 else "kz-mvd",
            due_date=dt.date(2027, 1, 1) + dt.timedelta(days=n % 7),
        )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=officer)}")
    seen, cursor = [], None
    while True:
        url = "/api/v1/inbox?limit=6" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen.extend((item["due_date"], item["id"]) for item in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 20 == len(set(seen))
    assert seen == sorted(seen)
