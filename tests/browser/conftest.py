"""A real Chromium for the browser tests, and an axe-core check to run on every page.

Debian's chromium is used (Playwright's own browser download is not available everywhere we
run); the context bypasses the site's CSP so that axe can be injected. Playwright's sync API
runs an asyncio loop in this thread, which makes Django refuse ORM calls from the test (reading
the SMS code, acting as the officer) unless async-unsafe calls are allowed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import PASSWORD, demo_world, latest_sms_code  # noqa: F401 — fixtures

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Browser tests run when chromium is there, and always on CI (where its absence is a failure).
RUN_BROWSER = CHROMIUM.exists() or os.environ.get("CI") == "true"
SKIP_REASON = f"{CHROMIUM} is not installed (set CI=true to make its absence a failure)"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NARROW = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 900}
TIMEOUT_MS = 10_000


# The session's one Chromium (`browser`) is in tests/conftest.py: Playwright's sync API runs an
# event loop in this thread while it lives, so a second instance (a module importing the fixture
# gets its own) would fail to start.


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser profile (no cookies) speaking Kazakh first, as most citizens do."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(
        base_url=live_server.url,
        bypass_csp=True,
        locale="kk-KZ",
        extra_http_headers={"Accept-Language": "kk,ru;q=0.8,en;q=0.5"},
        viewport=WIDE,
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def axe_check(page) -> None:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; fail listing every
    violation with its rule, impact and the failing nodes, so a developer can go and fix it."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    violations = results.response["violations"]
    if not violations:
        return
    lines = [f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            lines.append(f"    target {node['target']}: {summary}")
            lines.append(f"    html {node['html'][:200]}")
    pytest.fail("\n".join(lines), pytrace=False)


def screenshot(page, name: str) -> None:
    """The page at phone width and at desktop width, full height, into var/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("narrow", NARROW), ("wide", WIDE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(original)
