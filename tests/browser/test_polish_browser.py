"""In a real browser, without JavaScript: a citizen half-fills the application form in Kazakh,
switches the language to Russian in the header and finds what she typed, now in Russian; Enter
in a field still means "Sign and submit". The account pages she reaches from the menu (data
reads, consents, notifications) pass axe-core and fit a 320 px screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import RUN_BROWSER, SKIP_REASON, axe_check

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

APPLY_PATH = "/services/kz.address-certificate/apply/"
# Screenshots for a person to look at, when asked for (QYZMET_SHOTS_DIR=/some/dir).
SHOTS = os.environ.get("QYZMET_SHOTS_DIR", "")


def _signed_in(page, live_server, iin: str) -> None:
    """Reuse a real session (signing in through the pages is the journey test's job)."""
    from django.conf import settings
    from django.test import Client

    from qyzmet.identity.models import User

    client = Client()
    client.force_login(User.objects.get(iin=iin))
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])  # fmt: skip


def _fits(page, name: str) -> None:
    """No horizontal scrolling at 320 CSS px; optionally a picture at 320 and 1280 px."""
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_switching_language_keeps_the_half_filled_form(page, demo_world, live_server):
    from playwright.sync_api import expect

    _signed_in(page, live_server, demo_world.citizen_a)
    page.goto(APPLY_PATH)
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    page.locator("#field-purpose").select_option("bank")
    page.locator("#field-presented_to").fill("Халық банкі")
    page.locator("#field-comment").fill("Ипотекаға, 2 дана")
    axe_check(page)
    _fits(page, "apply-kk")

    page.locator("#lang-select").select_option("ru")
    with page.expect_navigation():
        page.locator("form.lang-switch button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(f"{live_server.url}{APPLY_PATH}")
    expect(page.locator("#field-purpose")).to_have_value("bank")
    expect(page.locator("#field-presented_to")).to_have_value("Халық банкі")
    expect(page.locator("#field-comment")).to_have_value("Ипотекаға, 2 дана")
    expect(page.locator("#lang-select")).to_have_value("ru")
    expect(page.locator(".error-summary")).to_have_count(0)
    axe_check(page)
    _fits(page, "apply-ru-after-switch")

    # The language stays for the next pages, and Enter in a field goes on to check the answers,
    # which show what was typed.
    page.locator("#field-presented_to").press("Enter")
    expect(page).to_have_url(f"{live_server.url}{APPLY_PATH}check/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("main")).to_contain_text("Халық банкі")


@pytest.mark.parametrize("path", ["/my/data/", "/my/consents/", "/my/notifications/"])
def test_account_pages_from_the_menu(page, demo_world, live_server, path):
    from playwright.sync_api import expect

    _signed_in(page, live_server, demo_world.citizen_a)
    page.goto("/services/")
    page.locator(f"header nav a[href='{path}']").click()
    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    icon = page.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert page.request.get(icon).status == 200
    axe_check(page)
    _fits(page, "my-" + path.strip("/").split("/")[-1] + "-kk")
