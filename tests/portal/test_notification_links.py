"""Every notification leads somewhere: the in-app list links the application or appeal it is
about, and the email carries the full address (the configured public base URL)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from qyzmet.appeals.demo import organisations_ensure
from qyzmet.identity.services import api_token_issue
from qyzmet.notifications.selectors import notification_list_for_user
from tests.portal.factories import catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db

BASE = "https://e.qyzmet.example"


def _page(user, lang: str) -> str:
    browser = Client(headers={"Accept-Language": lang})
    browser.force_login(user)
    return browser.get("/my/notifications/").content.decode()


def test_application_notifications_link_the_application(
    settings, django_capture_on_commit_callbacks
):
    settings.QYZMET_PUBLIC_BASE_URL = BASE
    catalog_loaded()
    person = citizen()
    with django_capture_on_commit_callbacks(execute=True):
        application = submitted(person)
    path = f"/my/applications/{application.pk}/"
    rows = notification_list_for_user(user_id=person.pk)
    assert rows and all(n.link == path for n in rows)
    html = _page(person, "kk")
    assert f'<a href="{path}">Ашу<span class="visually-hidden">: ' in html
    assert f'<a href="{path}">Открыть' in _page(person, "ru")
    assert mail.outbox, "the email was not sent"
    assert all(m.body.rstrip().endswith(f"{BASE}{path}") for m in mail.outbox)


def test_appeal_notifications_link_the_appeal(settings, django_capture_on_commit_callbacks):
    settings.QYZMET_PUBLIC_BASE_URL = BASE
    organisations_ensure()
    person = citizen()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(user=person)}")
    body = {"text": "Во дворе огромная яма, машины не проезжают", "lat": 59.9343,
            "lon": 30.3351, "address": "Невский проспект, 28", "language": "ru"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/appeals", body, content_type="application/json")
    assert response.status_code == 201, response.content
    path = f"/my/appeals/{response.json()['id']}/"
    rows = notification_list_for_user(user_id=person.pk)
    assert rows and all(n.link == path for n in rows)
    assert re.search(rf'<a href="{re.escape(path)}">Ашу', _page(person, "kk"))
    assert any(m.body.rstrip().endswith(f"{BASE}{path}") for m in mail.outbox)
