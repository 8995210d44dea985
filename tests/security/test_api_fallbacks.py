"""The answers no operation writes — an unknown path, a method a path does not take — are
problem+json on the API like every other error, with the Allow header kept."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("delete", "/api/v1/catalog/services", 405),
        ("put", "/api/v1/auth/login", 405),
        ("get", "/api/v1/no-such-operation", 404),
        ("post", "/api/v2/anything", 404),
    ],
)
def test_framework_answers_on_the_api_are_problems(method, path, status):
    response = getattr(Client(), method)(path)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    if status == 405:
        assert response["Allow"]


def test_an_operations_own_404_is_kept():
    response = Client().get("/api/v1/catalog/services/no-such-service")
    assert response.status_code == 404
    assert response.json()["code"] != "" and "operation of the API" not in response.json().get(
        "detail", "")


def test_pages_keep_their_html_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
