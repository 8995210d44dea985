"""The verification page the QR code opens, in a real Chromium, in Kazakh, on a 320 px phone and
at 1280 px: it names the sealing agency in full, does not scroll sideways, and axe-core finds no
WCAG 2.1 A/AA violation."""

from __future__ import annotations

import pytest

from qyzmet.identity.services import organisation_upsert
from tests.browser.conftest import RUN_BROWSER, SCREENSHOTS, SKIP_REASON, axe_check
from tests.identity.factories import next_bin

from .factories import document_issued
from .test_verify_sealer import NAMES

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]


def test_verify_page_in_kazakh_at_320_and_1280_px(browser, live_server):
    organisation_upsert(code="kz-mvd-migration-test", bin=next_bin(), names=NAMES)
    document = document_issued(issuer_code="kz-mvd-migration-test")
    # As the site serves it (its CSP applies); axe is injected through a CSP-bypassing context.
    context = browser.new_context(base_url=live_server.url, locale="kk-KZ", bypass_csp=True)
    context.add_cookies([{"name": "django_language", "value": "kk", "url": live_server.url}])
    tab = context.new_page()
    try:
        response = tab.goto(f"/verify/{document.public_id}/")
        assert response.status == 200
        assert tab.evaluate("document.documentElement.lang") == "kk"
        assert NAMES["kk"] in tab.locator("[data-sealer]").inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in (320, 1280):
            tab.set_viewport_size({"width": width, "height": 800})
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{width}px: the page scrolls sideways by {overflow}px"
            axe_check(tab)
            tab.screenshot(path=str(SCREENSHOTS / f"verify-kk-{width}.png"), full_page=True)
    finally:
        context.close()
