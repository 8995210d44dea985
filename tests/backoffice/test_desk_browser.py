"""The officer's desk in a real browser, on the demo as `demo_load` leaves it: the inbox with its
overdue and due-soon cases, a case with its one action area, a decided case with its document,
and the back-office home of someone who works only on the AI models. Each page in Kazakh passes
axe-core's WCAG 2.1 A/AA rules and reflows at 320 CSS px without horizontal scrolling;
screenshots at 320 and 1280 px go to /tmp/shots-desk/ for a person to look at."""

from __future__ import annotations

import threading
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


def _approve(iin: str, application_id: int) -> None:
    """The officer's signed approval through the services, in a thread of its own (Playwright's
    loop runs in this one, and the result is sealed when the approval commits)."""
    from qyzmet.applications import services
    from qyzmet.identity.models import User
    from qyzmet.signatures.services import signature_confirm

    failures: list[BaseException] = []

    def act() -> None:
        try:
            officer = User.objects.get(iin=iin)
            request = services.application_decision_sign(
                actor=officer, application_id=application_id, action="approve"
            )
            signature_confirm(actor=officer, request_id=request.id, code=latest_sms_code(iin))
            services.application_act(actor=officer, application_id=application_id,
                                     action="approve", signature_request_id=request.id)
        except BaseException as exc:  # re-raised in the test thread
            failures.append(exc)

    worker = threading.Thread(target=act)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]


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

    # The primary button leads to the signing page, which names the decision and the agency.
    with page.expect_navigation():
        buttons.first.click()
    expect(page.locator(".readonly-facts")).to_contain_text(taken.number)
    expect(page.locator(".readonly-facts")).to_contain_text("Ішкі істер министрлігі")
    expect(page.locator(".readonly-facts")).not_to_contain_text("kz-mvd")
    # The signing page: the hash and the signed JSON wrap on a phone too.
    _look(page, "sign-decision")

    _approve(demo_world.officer_mvd, taken.pk)
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
