"""Hot paths do not grow their query count with the page size (no N+1)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qyzmet.identity.services import api_token_issue
from tests.applications.signing import sign_submission
from tests.identity.factories import MembershipFactory
from tests.portal.factories import SERVICE, agency, catalog_loaded, citizen, submitted

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


def _submission_statements(client: Client, body: dict, key: str, on_commit) -> list[str]:
    """The SQL one API submission runs before it answers (the work after commit — the
    notification — is the worker's in production, so it is captured and not run here). The
    transaction's SAVEPOINT/RELEASE (BEGIN/COMMIT outside a test) are left out."""
    with CaptureQueriesContext(connection) as ctx, on_commit(execute=False):
        response = client.post(
            "/api/v1/applications", json.dumps(body), content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )
    assert response.status_code == 201, response.content
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_signed_api_submission_is_twelve_statements_and_reads_no_registry(
    world, django_capture_on_commit_callbacks
):
    """Token, idempotency key, the signature request, the service version, the signed payload,
    "signature used?", the application, its history row, the audit row, the outbox event, then
    the answer's roles and signature: 12 (it was 22 when the submission read the registry
    again inside its transaction)."""
    _, people = world
    person = people[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=person)}")
    body = {"service_code": SERVICE, "data": {"purpose": "bank"}}
    _submission_statements(client, body, "warm", django_capture_on_commit_callbacks)  # caches
    request = sign_submission(person, service_code=SERVICE, data=body["data"])
    statements = _submission_statements(
        client, {**body, "signature_request_id": request.id}, "signed",
        django_capture_on_commit_callbacks,
    )
    assert len(statements) <= 12, "\n".join(statements)
    assert not [s for s in statements if "population_" in s or "exchange_" in s]


def test_an_unsigned_api_submission_is_at_most_fifteen_statements(
    world, django_capture_on_commit_callbacks
):
    """The benchmark's submission: without a signature the registry is read here (the read,
    its audit row and the gateway's message log are 6 of the 15)."""
    _, people = world
    person = people[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=person)}")
    body = {"service_code": SERVICE, "data": {"purpose": "bank"}}
    _submission_statements(client, body, "warm", django_capture_on_commit_callbacks)  # caches
    statements = _submission_statements(
        client, body, "unsigned", django_capture_on_commit_callbacks
    )
    assert len(statements) <= 15, "\n".join(statements)
