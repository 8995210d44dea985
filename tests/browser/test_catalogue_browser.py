"""In a real browser, in Kazakh: the catalogue's search results (a colloquial, misspelt query
from a life event's page) and an information service's page pass axe-core and reflow at 320 CSS
px without sideways scrolling, as at 1280 px. Screenshots go to var/screenshots/catalogue-*."""

from __future__ import annotations

import pytest

from .conftest import RUN_BROWSER, SCREENSHOTS, SKIP_REASON, axe_check

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]


def _fits(page, name: str) -> None:
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_search_and_an_information_service_fit_and_pass_axe(page):
    from playwright.sync_api import expect

    from tests.portal.factories import catalog_loaded

    catalog_loaded()
    page.goto("/services/?life_event=birth-of-child")
    page.get_by_label("Қызметті іздеу").fill("пасспорт потеряла")
    page.get_by_role("button", name="Іздеу").click()
    expect(page.get_by_role("status")).to_contain_text("Баланың дүниеге келуі")
    expect(page.get_by_role("link", name="Барлық қызметтер бойынша іздеу")).to_be_visible()
    expect(page.get_by_role("heading", name="Сәйкес келетін басқа қызметтер")).to_be_visible()
    axe_check(page)
    _fits(page, "catalogue-search-kk")

    page.goto("/services/kz.residence-registration/")
    expect(page.get_by_role("heading", name="Қалай алуға болады")).to_be_visible()
    expect(page.get_by_role("link", name="Өтінім беруді бастау")).to_have_count(0)
    axe_check(page)
    _fits(page, "catalogue-information-kk")
