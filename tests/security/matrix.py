"""What every area's authorization matrix shares: how an actor becomes a client, how a row's
request is made, and the check that errors from JSON endpoints are problem+json.

A row is (kind, method, path, body, expectations): kind "api" for /api/v1 operations and "page"
for every other route; expectations are (actor, status) pairs in the order the requests are made
(a row lists last the actor whose request changes state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qyzmet.identity.services import api_token_issue

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Routes outside /api/v1 that still speak JSON and problem+json (GovStack registries, gateway).
JSON_PREFIXES = ("/api/", "/data/", "/r1/")
# Routes whose errors are always problem+json (the gateway answers X-Road-style errors).
PROBLEM_PREFIXES = ("/api/", "/data/")


def expect(actors: Sequence[str], statuses: Sequence[int], order: Sequence[str] | None = None):
    values = dict(zip(actors, statuses, strict=True))
    return [(actor, values[actor]) for actor in (order or actors)]


def client_for(users: Mapping[str, Any], actor: str, kind: str) -> Client:
    """Anonymous, a bearer token for API rows, or a signed-in session for pages."""
    if actor == "anonymous":
        return Client()
    user = users[actor]
    if kind == "api":
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=user)}")
    client = Client()
    client.force_login(user)
    return client


def _formatted(body: Any, ids: Mapping[str, Any]) -> Any:
    if isinstance(body, dict):
        return {k: _formatted(v, ids) for k, v in body.items()}
    return body.format(**ids) if isinstance(body, str) else body


def call(client: Client, kind: str, method: str, url: str, body: Any, ids: Mapping[str, Any]):
    send = getattr(client, method)
    speaks_json = kind == "api" or url.startswith(JSON_PREFIXES)
    if body == "FILE":
        return send(url, {"file": SimpleUploadedFile("x.pdf", PDF_BYTES)})
    if body is not None and speaks_json:
        return send(url, _formatted(body, ids), content_type="application/json")
    if body is not None:
        return send(url, body)
    if kind == "api" and method == "post":
        return send(url, {}, content_type="application/json")
    return send(url)


def statuses(
    users: Mapping[str, Any],
    ids: Mapping[str, Any],
    row: tuple,
) -> tuple[dict[str, int], dict[str, int]]:
    """Make the row's request as each actor; returns (got, expected) status maps."""
    kind, method, path, body, expected = row
    url = path.format(**ids)
    got: dict[str, int] = {}
    for actor, _status in expected:
        response = call(client_for(users, actor, kind), kind, method, url, body, ids)
        got[actor] = response.status_code
        if (kind == "api" or url.startswith(PROBLEM_PREFIXES)) and response.status_code >= 400:
            assert response["Content-Type"] == "application/problem+json", (actor, url)
    return got, dict(expected)


def row_ids(matrix: Sequence[tuple]) -> list[str]:
    return [f"{m.upper()} {p}" for _, m, p, _, _ in matrix]
