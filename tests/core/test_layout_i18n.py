"""The page chrome (skip link, navigation, language switch) is in the reader's language."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "skip", "switch", "sign_in"),
    [
        ("kk", "Негізгі мазмұнға өту", "Ауыстыру", "Кіру"),
        ("ru", "Перейти к основному содержанию", "Сменить", "Войти"),
        ("en", "Skip to main content", "Switch", "Sign in"),
    ],
)
def test_layout_is_translated(lang, skip, switch, sign_in):
    client = Client()
    client.cookies["django_language"] = lang
    page = client.get("/login/").content.decode()
    assert f'<html lang="{lang}">' in page
    assert skip in page
    assert f">{switch}</button>" in page
    assert sign_in in page
