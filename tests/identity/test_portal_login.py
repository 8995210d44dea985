"""The portal's sign-in pages, end to end with Django's test client, in Kazakh and Russian."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from .factories import PASSWORD, UserFactory
from .helpers import latest_code_for

pytestmark = pytest.mark.django_db


def client_in(language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(
    ("language", "iin_label", "summary_title", "check_digit_words"),
    [
        ("kk", "ЖСН", "Қате бар", "бақылау"),
        ("ru", "ИИН", "Есть ошибка", "контрольная"),
    ],
)
def test_invalid_iin_shows_an_error_summary_naming_the_field(
    language, iin_label, summary_title, check_digit_words
):
    user = UserFactory()
    client = client_in(language)
    page = client.get("/login/")
    assert page.status_code == 200
    assert iin_label in page.content.decode()

    bad = user.iin[:11] + str((int(user.iin[11]) + 1) % 10)
    response = client.post("/login/", {"iin": bad, "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert summary_title in html
    assert 'href="#id_iin"' in html
    assert check_digit_words in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="iin-hint iin-error"' in html


def test_wrong_password_summary_and_lockout_message(settings):
    user = UserFactory()
    client = client_in("ru")
    response = client.post("/login/", {"iin": user.iin, "password": "wrong password"})
    assert response.status_code == 401
    assert "Неверный ИИН или пароль." in response.content.decode()
    for _ in range(settings.QYZMET_LOGIN_MAX_FAILURES - 1):
        response = client.post("/login/", {"iin": user.iin, "password": "wrong password"})
    assert response.status_code == 423
    until = timezone.localtime() + dt.timedelta(minutes=settings.QYZMET_LOGIN_LOCKOUT_MINUTES)
    until = until.strftime("%d.%m.%Y")
    html = response.content.decode()
    assert "Повторить попытку можно" in html
    assert re.search(r"\d\d\.\d\d\.\d{4} после \d\d:\d\d", html)
    assert until[:2] in html


def test_empty_form_lists_both_fields():
    response = client_in("kk").post("/login/", {"iin": "", "password": ""})
    html = response.content.decode()
    assert 'href="#id_iin"' in html and 'href="#id_password"' in html


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_full_sign_in_with_the_sms_code(language):
    user = UserFactory(language=language)
    client = client_in(language)
    old_session = None
    response = client.post(
        "/login/", {"iin": user.iin, "password": PASSWORD, "next": "/my/notifications/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    old_session = client.session.session_key

    page = client.get("/login/code/")
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    response = client.post("/login/code/", {"code": "000000"})
    if response.status_code == 400:  # the real code may by chance be 000000
        assert 'href="#id_code"' in response.content.decode()
    response = client.post("/login/code/", {"code": latest_code_for(user.phone)})
    assert response.status_code == 302
    assert response["Location"] == "/my/notifications/"
    assert client.session.session_key != old_session
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/my/notifications/").status_code == 200


def test_unsafe_next_is_ignored():
    user = UserFactory()
    client = client_in("kk")
    client.post(
        "/login/", {"iin": user.iin, "password": PASSWORD, "next": "https://evil.example/steal"}
    )
    response = client.post("/login/code/", {"code": latest_code_for(user.phone)})
    assert response["Location"] == "/my/applications/"


def test_code_page_without_a_challenge_goes_back_to_login():
    response = Client().get("/login/code/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_logout_is_post_only():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
