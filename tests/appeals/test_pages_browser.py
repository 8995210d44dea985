"""The appeal pages in a real Chromium, in Kazakh: the triage queue, an appeal in the back office,
the appeals inbox and the citizen's appeal page have no axe-core WCAG 2.1 A/AA violation, and at
320 CSS px nothing scrolls sideways. Screenshots at 320 and 1280 px go to var/screenshots (or
$QYZMET_SHOTS) for a person to look at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.browser.conftest import CHROMIUM_ARGS, RUN_BROWSER, SKIP_REASON, axe_check  # noqa: F401

from .test_words_not_codes import routed_spb, waiting  # noqa: F401 — fixtures

pytestmark = [pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
              pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("QYZMET_SHOTS")
             or Path(__file__).resolve().parents[2] / "var" / "screenshots")


def _context(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True, locale="kk-KZ",
                                  viewport={"width": 1280, "height": 900})
    context.add_cookies([
        {"name": django_settings.SESSION_COOKIE_NAME,
         "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
        {"name": "django_language", "value": "kk", "url": live_server.url},
    ])
    return context


def _look(page, name: str) -> None:
    """axe at 1280 px; at 320 px no horizontal scroll; screenshots at both widths."""
    axe_check(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 320, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    page.screenshot(path=str(SHOTS / f"{name}-320.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert overflow <= 0, f"{name}: {overflow}px of horizontal scroll at 320 px"


def test_back_office_appeal_pages(browser, live_server, triager, officer, waiting,  # noqa: F811
                                  routed_spb):  # noqa: F811
    context = _context(browser, live_server, triager)
    page = context.new_page()
    page.goto("/backoffice/appeals/triage/")
    select = page.locator(f"#org-{waiting.pk}")
    assert select.input_value() == ""  # nothing preselected
    page.fill(f"#org-{waiting.pk}-filter", "Абаттандыру")
    shown = select.locator("option:not([hidden])").all_inner_texts()
    assert "Абаттандыру кешенді орталығы" in shown
    assert all("Абаттандыру" in text for text in shown[1:])
    _look(page, "appeals-triage-kk")
    page.goto(f"/backoffice/appeals/{waiting.pk}/")
    _look(page, "appeals-case-kk")
    context.close()
    context = _context(browser, live_server, officer)
    page = context.new_page()
    page.goto("/backoffice/appeals/")
    _look(page, "appeals-inbox-kk")
    context.close()


def test_citizen_appeal_page(browser, live_server, citizen, officer, routed_spb):  # noqa: F811
    from qyzmet.appeals import services

    services.appeal_answer(actor=officer, appeal_id=routed_spb.pk, text="Яма заделана.")
    context = _context(browser, live_server, citizen)
    page = context.new_page()
    page.goto(f"/my/appeals/{routed_spb.pk}/")
    _look(page, "appeals-citizen-kk")
    context.close()
