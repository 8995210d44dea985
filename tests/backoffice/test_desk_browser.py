"""The officer's desk in a real browser, on the demo as `demo_load` leaves it: the inbox with its
overdue and due-soon cases, a case with its one action area, a decided case with its document,
and the back-office home of someone who works only on the AI models. Each page in Kazakh passes
axe-core's WCAG 2.1 A/AA rules and reflows at 320 CSS px without horizontal scrolling;
screenshots at 320 and 1280 px go to /tmp/shots-desk/ for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from tests.browser.conftest import (  # noqa: F401 — fixtures
    RUN_BROWSER,
    SKIP_REASON,
    axe_check,
    demo_world,
    latest_sms_code,
    page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

SHOTS = Path("/tmp/shots-desk")
WIDTHS = (320, 1280)


def _sign_in(tab, base: str, iin: str) -> None:
    """A session for the person, handed to the browser as its cookie (sign-in has its own
    browser test); Kazakh chosen as the page language."""
    from qyzmet.identity.models import User

    client = Client()
    client.force_login(User.objects.get(iin=iin))
    tab.context.clear_cookies()
    tab.context.add_cookies([
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base},
        {"name": "django_language", "value": "kk", "url": base},
    ])


def _look(tab, name: str, *, reflow: bool = True) -> None:
    """axe-core, no horizontal scrolling at 320 px, and screenshots at both widths."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    axe_check(tab)
    for width in WIDTHS:
        tab.set_viewport_size({"width": width, "height": 900})
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0 or not reflow, f"{name} scrolls sideways by {overflow}px at {width}px"
        tab.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_the_desk_in_a_browser(page, live_server, demo_world):  # noqa: F811
    from playwright.sync_api import expect

    from qyzmet.applications import selectors
    from qyzmet.identity.models import User

    officer = User.objects.get(iin=demo_world.officer_mvd)
    cases = selectors.inbox_list(user=officer).items
    taken = next(c for c in cases if c.state == "in_review")
    _sign_in(page, live_server.url, demo_world.officer_mvd)

    page.goto("/backoffice/")
    expect(page.locator("h1")).to_have_text("Кіріс")
    expect(page.locator("table.inbox .tag.overdue").first).to_be_visible()
    expect(page.locator("table.inbox .tag.due-soon").first).to_be_visible()
    _look(page, "inbox")

    page.goto(f"/backoffice/cases/{taken.pk}/")
    buttons = page.locator(".action-area button[type=submit]")
    expect(buttons.first).to_have_attribute("value", "approve")
    _look(page, "case-in-review")

    # The primary button leads to the signing page, which says what the decision does and names
    # the agency in words; the signed JSON and its hash are behind "Technical details".
    with page.expect_navigation():
        buttons.first.click()
    decision = page.locator("dl[data-decision]")
    expect(decision).to_contain_text(taken.number)
    expect(decision).to_contain_text("Мақұлдау — «")
    expect(decision).to_contain_text("Ішкі істер министрлігі")
    for words in (decision, page.locator("dl[data-what]")):
        expect(words).not_to_contain_text("kz-mvd")
        expect(words).not_to_contain_text("approve")
    expect(page.locator("pre.signed-content")).to_be_hidden()
    # The signing page: the hash and the signed JSON wrap on a phone too, once opened.
    page.locator("details[data-technical] summary").click()
    _look(page, "sign-decision")

    # The officer types the code from the SMS: the decision is applied and confirmed, with the
    # issued document one click away (it is sealed as the approval commits).
    page.locator("#id_code").fill(latest_sms_code(demo_world.officer_mvd))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/backoffice/cases/{taken.pk}/decided/**")
    expect(page.locator("[data-panel=decided]")).to_contain_text(taken.number)
    confirmed = page.locator("[data-document=issued] ~ p a[href^='/verify/']")
    for _ in range(10):  # sealed on commit; the page says so until it is there
        if confirmed.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(confirmed).to_be_visible()
    _look(page, "decided")
    page.goto(f"/backoffice/cases/{taken.pk}/")
    link = page.locator("[data-document=issued] a")
    expect(link).to_be_visible()
    _look(page, "case-approved")
    link.click()
    page.wait_for_url("**/verify/**")

    from qyzmet.identity.models import Organisation
    from tests.identity.factories import MembershipFactory

    analyst = MembershipFactory(organisation=Organisation.objects.get(code="kz-mvd"),
                                role="ai_admin").user
    _sign_in(page, live_server.url, analyst.iin)
    page.goto("/backoffice/")
    expect(page.locator("main ul.areas a")).to_have_count(1)
    _look(page, "home-ai-admin")
