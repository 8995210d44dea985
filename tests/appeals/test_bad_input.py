"""Each bad input gets a clear error naming the problem, and nothing is stored."""

from __future__ import annotations

import pytest
from django.test import Client

from qyzmet.appeals.models import Appeal, AppealPhoto
from qyzmet.core.models import OutboxEvent
from qyzmet.identity.services import api_token_issue

from .conftest import JPEG, PNG, SPB, b64

pytestmark = pytest.mark.django_db

GOOD = {"text": "Сломан фонарь у подъезда", "lat": SPB[0], "lon": SPB[1]}


@pytest.mark.parametrize(
    ("change", "status", "code", "pointer"),
    [
        ({"text": ""}, 422, "text_empty", "/text"),
        ({"text": "   "}, 422, "text_empty", "/text"),
        ({"text": "я" * 10000}, 422, "text_too_long", "/text"),
        ({"text": "路灯坏了，晚上很黑，很危险"}, 422, "text_language", "/text"),
        ({"text": "ლამპიონი გაფუჭებულია"}, 422, "text_language", "/text"),
        ({"text": "12345 !!!"}, 422, "text_language", "/text"),
        ({"lat": 48.8566, "lon": 2.3522}, 422, "outside_jurisdiction", "/lat"),
        ({"lat": 95.0}, 422, "place_invalid", "/lat"),
        ({"lon": None}, 422, "place_incomplete", "/lon"),
        ({"lat": None, "lon": None}, 422, "place_missing", "/address"),
        ({"category": "no-such-category"}, 422, "unknown_category", "/category"),
        ({"photos": [b64(b"%PDF-1.4 not an image")]}, 415, "photo_not_image", "/photos/0"),
        ({"photos": [b64(JPEG + b"\x00" * (5 * 1024 * 1024))]}, 413, "photo_too_large",
         "/photos/0"),
        ({"photos": [b64(PNG)] * 6}, 422, "too_many_photos", "/photos"),
        ({"photos": ["not base64!"]}, 422, "photo_not_base64", "/photos/0"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(citizen, change, status, code, pointer):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}")
    events_before = OutboxEvent.objects.count()
    response = client.post("/api/v1/appeals", {**GOOD, **change},
                           content_type="application/json")
    assert response.status_code == status, response.content
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == code
    assert body["errors"][0]["pointer"] == pointer
    assert Appeal.objects.count() == 0 and AppealPhoto.objects.count() == 0
    assert OutboxEvent.objects.count() == events_before


@pytest.mark.parametrize("text", [
    "Жарық жоқ, аулада қараңғы",  # Kazakh (Cyrillic with ә ғ қ ң ө ұ ү һ і)
    "Street light broken near the entrance",
    "Не работает освещение во дворе",
    "Jaryq joq, aulada qarañğy",  # Kazakh Latin
])
def test_expected_languages_are_accepted(citizen, orgs, text):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}")
    response = client.post("/api/v1/appeals", {**GOOD, "text": text},
                           content_type="application/json")
    assert response.status_code == 201, response.content


def test_address_only_is_accepted_without_district(citizen, orgs):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}")
    response = client.post("/api/v1/appeals", {"text": "Яма на дороге", "address": "ул. Абая, 1"},
                           content_type="application/json")
    assert response.status_code == 201
    assert response.json()["district"] is None and response.json()["lat"] is None


def test_exactly_5000_characters_is_accepted(citizen, orgs):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=citizen)}")
    response = client.post("/api/v1/appeals", {**GOOD, "text": "а" * 5000},
                           content_type="application/json")
    assert response.status_code == 201
