"""Real requests that meet each kind of error, answered as the OpenAPI document says: a status
the operation documents, the media type application/problem+json, a body valid against the
documented `Problem` schema."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from qyzmet.appeals.demo import organisations_ensure
from qyzmet.identity.services import api_token_issue
from tests.identity.factories import PASSWORD, UserFactory
from tests.portal.factories import citizen as make_citizen

from .contract import document, documented_response, validate

pytestmark = pytest.mark.django_db

JSON = "application/json"
APPEAL = {"text": "Яма на дороге у школы", "address": "ул. Абая, 1"}


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


@pytest.fixture
def citizen_client(db) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=make_citizen())}")


def _appeal_id(client: Client) -> int:
    organisations_ensure()
    response = client.post("/api/v1/appeals", APPEAL, content_type=JSON)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _wrong_passwords_until_refused(status: int) -> Any:
    """Sign in with a wrong password (or, for 429, the right one: codes requested again and
    again) until the API answers `status`; at most 25 tries."""
    user = UserFactory()
    client = Client()
    password = PASSWORD if status == 429 else "wrong wrong wrong"
    for _ in range(25):
        response = client.post("/api/v1/auth/login", {"iin": user.iin, "password": password},
                               content_type=JSON)  # fmt: skip
        if response.status_code == status:
            return response
    return response


# (status, method, documented path, how the request is made)
CASES: list[tuple[int, str, str, Callable[[Client], Any]]] = [
    (400, "post", "/api/v1/signatures/verify",
     lambda c: Client().post("/api/v1/signatures/verify", "{not json", content_type=JSON)),
    (400, "get", "/api/v1/transparency/entries",
     lambda c: Client().get("/api/v1/transparency/entries", {"start": 2, "end": 1})),
    (400, "get", "/api/v1/applications",
     lambda c: c.get("/api/v1/applications", {"cursor": "not-a-cursor"})),
    (401, "get", "/api/v1/auth/me", lambda c: Client().get("/api/v1/auth/me")),
    (401, "post", "/api/v1/auth/verify",
     lambda c: Client().post("/api/v1/auth/verify", {"challenge": "x" * 32, "code": "123456"},
                             content_type=JSON)),
    (403, "get", "/api/v1/inbox", lambda c: c.get("/api/v1/inbox")),
    (403, "post", "/api/v1/appeals/{appeal_id}/take",  # no bearer: the session's CSRF check
     lambda c: Client(enforce_csrf_checks=True).post("/api/v1/appeals/1/take")),
    (403, "get", "/api/v1/ai/models", lambda c: c.get("/api/v1/ai/models")),
    (404, "get", "/api/v1/catalog/services/{code}",
     lambda c: Client().get("/api/v1/catalog/services/no-such-service")),
    (404, "get", "/api/v1/applications/{application_id}",
     lambda c: c.get("/api/v1/applications/987654321")),
    (409, "post", "/api/v1/appeals/{appeal_id}/rate",
     lambda c: c.post(f"/api/v1/appeals/{_appeal_id(c)}/rate", {"rating": 5},
                      content_type=JSON)),
    (413, "post", "/api/v1/appeals",
     lambda c: c.post("/api/v1/appeals",
                      {**APPEAL, "photos": [_b64(b"\xff\xd8\xff" + b"\x00" * 5_300_000)]},
                      content_type=JSON)),
    (415, "post", "/api/v1/appeals",
     lambda c: c.post("/api/v1/appeals", {**APPEAL, "photos": [_b64(b"plain text, no image")]},
                      content_type=JSON)),
    (422, "post", "/api/v1/auth/login",
     lambda c: Client().post("/api/v1/auth/login", {"iin": "123", "password": "x"},
                             content_type=JSON)),
    (422, "post", "/api/v1/auth/verify",
     lambda c: Client().post("/api/v1/auth/verify", {"challenge": "x"}, content_type=JSON)),
    (422, "get", "/api/v1/applications/{application_id}",
     lambda c: c.get(f"/api/v1/applications/{2**63}")),
    (422, "post", "/api/v1/signatures/certificates/{serial}/revoke",
     lambda c: c.post("/api/v1/signatures/certificates/1/revoke", {"reason": "x" * 101},
                      content_type=JSON)),
    (423, "post", "/api/v1/auth/login", lambda c: _wrong_passwords_until_refused(423)),
    (429, "post", "/api/v1/auth/login", lambda c: _wrong_passwords_until_refused(429)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "method", "path", "make"),
    CASES,
    ids=[f"{status}-{method.upper()} {path}" for status, method, path, _ in CASES],
)
def test_error_answers_as_documented(doc, citizen_client, status, method, path, make):
    response = make(citizen_client)
    assert response.status_code == status, response.content[:300]
    content_type = response["Content-Type"]
    assert content_type == "application/problem+json"
    schema = documented_response(doc, method, path, status, content_type)
    body = response.json()
    validate(doc, schema, body)
    assert body["status"] == status
    assert body["type"] == f"https://qyzmet.dev/problems/{body['code']}"


def test_a_body_that_breaks_the_schema_fails_validation(doc):
    """The check above can fail: a problem without its required members is refused."""
    schema = documented_response(doc, "get", "/api/v1/auth/me", 401, "application/problem+json")
    with pytest.raises(Exception, match="required property"):
        validate(doc, schema, {"title": "no type, no status", "detail": "x"})
