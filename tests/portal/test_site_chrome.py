"""What every page carries: the site's icon (also at /favicon.ico, where browsers look) and, for
a signed-in person, a way to every page of their account, consents included."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from PIL import Image

from tests.portal.factories import catalog_loaded, citizen

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_an_icon():
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    icon = Image.open(io.BytesIO(body))
    assert icon.format == "ICO"
    assert (32, 32) in icon.info["sizes"]
    assert "max-age" in response["Cache-Control"]


def test_pages_link_the_icon_and_the_svg_icon_is_served(client):
    catalog_loaded()
    html = client.get("/services/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in html
    svg = re.search(r'<link rel="icon" href="([^"]+\.svg)" type="image/svg\+xml">', html)
    assert svg
    response = client.get(svg.group(1))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(b"<svg")


@pytest.mark.parametrize(("lang", "words"), [("kk", "Менің келісімдерім"), ("ru", "Мои согласия"),
                                             ("en", "My consents")])  # fmt: skip
def test_account_menu_links_my_consents(lang, words):
    catalog_loaded()
    browser = Client(headers={"Accept-Language": lang})
    anonymous = browser.get("/services/").content.decode()
    assert 'href="/my/consents/"' not in anonymous
    browser.force_login(citizen())
    html = browser.get("/services/").content.decode()
    assert f'<a href="/my/consents/">{words}</a>' in html
    assert browser.get("/my/consents/").status_code == 200
