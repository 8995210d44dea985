"""The appeals map in a real Chromium, in Kazakh, with the site's CSP enforced: a citizen at 320
and at 1280 px finds an address and clicks on the map, the latitude/longitude boxes are filled
and the place is said in words, and submits; an officer moves the point on the case page with a
reason, which the citizen then reads in the history. No CSP violation (Leaflet from our own
static files, no inline code), no horizontal scroll at 320 px, and axe-core finds nothing on the
map pages. Screenshots go to var/screenshots/appeals-map-*."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client

from qyzmet.appeals import gazetteer
from qyzmet.appeals.models import Appeal, AppealEvent
from tests.appeals.conftest import citizen, orgs, triager  # noqa: F401 — fixtures
from tests.browser.conftest import RUN_BROWSER, SCREENSHOTS, SKIP_REASON, axe_check

pytestmark = [
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
    pytest.mark.django_db(transaction=True),
]

# St Petersburg's bounds as the demo jurisdiction gives them.
SOUTH, NORTH, WEST, EAST = 59.6, 60.3, 29.5, 30.8


def _context(browser, live_server, user, *, width: int, enforce_csp: bool = True):
    web = Client()
    web.force_login(user)
    context = browser.new_context(
        base_url=live_server.url,
        bypass_csp=not enforce_csp,
        locale="kk-KZ",
        viewport={"width": width, "height": 900},
    )
    context.add_cookies([
        {"name": django_settings.SESSION_COOKIE_NAME,
         "value": web.cookies[django_settings.SESSION_COOKIE_NAME].value,
         "url": live_server.url},
        {"name": "django_language", "value": "kk", "url": live_server.url},
    ])  # fmt: skip
    context.set_default_timeout(10_000)
    return context


def _watch_csp(page) -> list[str]:
    """Console errors that are CSP refusals (an inline style or script, a foreign image)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda m: (
            refused.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    return refused


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url}: {overflow}px of horizontal scroll"


def _axe(browser, live_server, user, path: str, width: int) -> None:
    """axe needs its script injected, so it runs in a context that bypasses the CSP."""
    context = _context(browser, live_server, user, width=width, enforce_csp=False)
    page = context.new_page()
    page.goto(path)
    page.wait_for_selector(".leaflet-container")
    axe_check(page)
    context.close()


def _click_map(page, fx: float, fy: float) -> None:
    """A click at a fraction of the map's width and height (scrolled into view first)."""
    canvas = page.locator(".appeal-map-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})


def _coords(page) -> tuple[float, float]:
    return float(page.locator("#lat").input_value()), float(page.locator("#lon").input_value())


@pytest.mark.parametrize("width", [320, 1280])
def test_citizen_places_the_point_on_the_map_and_an_officer_moves_it(
    browser,
    live_server,
    citizen,  # noqa: F811 — the imported fixture
    triager,  # noqa: F811 — the imported fixture
    width,
):
    gazetteer.gazetteer_load([
        {"address": "ул. Седова, 10", "lat": 59.8912, "lon": 30.4101, "district": "Невский"},
    ])  # fmt: skip
    context = _context(browser, live_server, citizen, width=width)
    page = context.new_page()
    refused = _watch_csp(page)
    page.goto("/appeals/new/")
    page.wait_for_selector(".leaflet-overlay-pane path")  # outlines drawn
    assert page.locator("#coords").is_hidden()  # the map replaces the raw boxes...
    page.locator("#coords-toggle").click()  # ...which stay one button away
    assert page.locator("#lat").is_visible()
    page.locator("#coords-toggle").click()

    # Address search through the gazetteer.
    page.locator("#map-search-q").fill("Седова 10")
    page.locator("#map-search-go").click()
    page.locator("#map-search-results button").first.click()
    lat, lon = _coords(page)
    assert (round(lat, 4), round(lon, 4)) == (59.8912, 30.4101)
    assert page.locator("#address").input_value().startswith("Седова, 10")
    assert page.locator("#map-words").inner_text().startswith("Таңдалған орын: Невский ауданы")

    # A click elsewhere on the map moves the point; the words follow.
    _click_map(page, 0.3, 0.6)
    clicked = _coords(page)
    assert clicked != (lat, lon)
    assert SOUTH < clicked[0] < NORTH and WEST < clicked[1] < EAST
    assert f"{clicked[0]:.5f}" in page.locator("#map-words").inner_text()

    # The keyboard: Enter on the focused map puts the point at the centre.
    page.locator(".appeal-map-canvas").focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_timeout(500)  # the pan is animated
    page.keyboard.press("Enter")
    assert _coords(page) != clicked
    _no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"appeals-map-new-{width}.png"), full_page=True)

    page.locator("#text").fill("Жол шұңқыры, өту қиын.")
    chosen = _coords(page)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/my/appeals/\d+/$"))
    page.wait_for_selector(".leaflet-marker-icon")
    # The live server shares the in-memory SQLite database: read it when the page is quiet.
    page.wait_for_load_state("networkidle")
    appeal = Appeal.objects.get(citizen=citizen)
    assert (appeal.lat, appeal.lon) == chosen
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"appeals-map-detail-{width}.png"), full_page=True)
    assert not refused, refused
    context.close()
    _axe(browser, live_server, citizen, "/appeals/new/", width)
    _axe(browser, live_server, citizen, f"/my/appeals/{appeal.pk}/", width)

    # The officer moves the point (click on the case page's map), with a reason.
    context = _context(browser, live_server, triager, width=width)
    page = context.new_page()
    refused = _watch_csp(page)
    page.goto(f"/backoffice/appeals/{appeal.pk}/")
    page.wait_for_selector(".leaflet-marker-icon")
    _click_map(page, 0.7, 0.3)
    moved = _coords(page)
    assert moved != chosen
    page.locator("#place_reason").fill("Шұңқыр жолдың арғы бетінде")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"appeals-map-officer-{width}.png"), full_page=True)
    with page.expect_navigation():
        page.locator("form[data-form=place] button[type=submit]").click()
    page.wait_for_selector(".leaflet-marker-icon")
    page.wait_for_load_state("networkidle")
    appeal.refresh_from_db()
    assert (appeal.lat, appeal.lon) == moved
    event = AppealEvent.objects.get(appeal=appeal, action="place_moved")
    assert event.note.endswith("Шұңқыр жолдың арғы бетінде")
    assert not refused, refused
    context.close()
    _axe(browser, live_server, triager, f"/backoffice/appeals/{appeal.pk}/", width)

    context = _context(browser, live_server, citizen, width=width)
    page = context.new_page()
    page.goto(f"/my/appeals/{appeal.pk}/")
    assert "Шұңқыр жолдың арғы бетінде" in page.locator("ol").last.inner_text()
    context.close()
