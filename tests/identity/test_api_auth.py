"""The API's sign-in: login → verify → me → logout, with problem+json errors."""

from __future__ import annotations

import pytest
from django.test import Client

from .factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory
from .helpers import latest_code_for

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: dict, **headers):
    return client.post(f"/api/v1/auth/{path}", body, content_type="application/json", **headers)


def test_login_verify_me_logout():
    user = UserFactory(full_name="Ержан Әлиев", language="ru")
    akimat = OrganisationFactory(code="akimat-almaty")
    MembershipFactory(user=user, organisation=akimat, role="officer")
    MembershipFactory(user=user, organisation=akimat, role="head")
    client = Client(enforce_csrf_checks=True)

    response = post(client, "login", {"iin": user.iin, "password": PASSWORD})
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["delivery"] == "sms" and body["expires_in"] == 300

    response = post(
        client, "verify", {"challenge": body["challenge"], "code": latest_code_for(user.phone)}
    )
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}"}

    response = client.get("/api/v1/auth/me", **auth)
    assert response.status_code == 200
    assert response.json() == {
        "iin": user.iin,
        "full_name": "Ержан Әлиев",
        "language": "ru",
        "roles": {"akimat-almaty": ["head", "officer"]},
    }

    assert post(client, "logout", {}, **auth).status_code == 204
    response = client.get("/api/v1/auth/me", **auth)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_wrong_password_and_bad_iin_are_problems():
    user = UserFactory()
    client = Client()
    response = post(client, "login", {"iin": user.iin, "password": "nope nope nope"})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_credentials"

    response = post(client, "login", {"iin": "123", "password": PASSWORD})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "invalid_iin"
    assert problem["errors"][0]["pointer"] == "/iin"


def test_wrong_code_is_a_problem():
    user = UserFactory()
    client = Client()
    challenge = post(client, "login", {"iin": user.iin, "password": PASSWORD}).json()["challenge"]
    code = latest_code_for(user.phone)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = post(client, "verify", {"challenge": challenge, "code": wrong})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_code"


def test_logout_needs_a_bearer_token():
    response = post(Client(), "logout", {})
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
