"""A cursor is client input: base64 JSON that decodes but names the wrong members, the wrong types
or an id beyond a 64-bit key must be a 400 problem on every paged list, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from qyzmet.appeals import selectors as appeal_selectors
from qyzmet.core.pagination import cursor_encode, cursor_key, cursor_read
from qyzmet.core.problem import Problem
from qyzmet.identity.services import api_token_issue
from tests.portal.factories import catalog_loaded, citizen, officer

pytestmark = pytest.mark.django_db


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


HOSTILE = [
    _raw({}),                                   # no member at all
    _raw({"id": "abc", "i": "abc", "due": 1, "d": 1}),   # wrong types
    _raw({"id": 10**30, "i": 10**30, "due": "2026-01-01", "d": "2026-01-01"}),  # past int64
    _raw({"id": -1, "i": -1, "due": "2026-13-45", "d": "2026-13-45"}),  # bad date
    _raw({"id": True, "i": [1], "due": None, "d": {}}),
    _raw([1, 2]),                               # not an object
    "%%%not-base64",
]


def _bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")


@pytest.mark.parametrize("cursor", HOSTILE)
def test_every_paged_api_list_refuses_a_hostile_cursor(cursor):
    catalog_loaded()
    calls = [
        (_bearer(citizen()), "/api/v1/applications"),
        (_bearer(citizen()), "/api/v1/appeals"),
        (_bearer(officer()), "/api/v1/inbox"),
    ]
    for client, path in calls:
        response = client.get(path, {"cursor": cursor})
        assert response.status_code == 400, (path, response.status_code, response.content)
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("cursor", HOSTILE)
def test_appeal_lists_refuse_a_hostile_cursor(cursor):
    with pytest.raises(Problem) as caught:
        appeal_selectors.suggestion_log(cursor=cursor)
    assert caught.value.status == 400


def test_a_cursor_the_platform_made_reads_back():
    cursor = cursor_encode({"id": 42, "due": "2026-12-03"})
    import datetime as dt

    assert cursor_read(cursor, id=cursor_key, due=dt.date.fromisoformat) == {
        "id": 42, "due": dt.date(2026, 12, 3)}


@pytest.mark.parametrize("value", [2**63, -1, "1e3", True, None, 1.5])
def test_cursor_key_refuses_what_no_primary_key_can_be(value):
    with pytest.raises((ValueError, TypeError)):
        cursor_key(value)
