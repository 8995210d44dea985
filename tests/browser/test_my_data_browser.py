"""In a real browser, in Kazakh: "Who looked at my data" shows one block per visit, opens to the
fields read without JavaScript, fits a 320 px screen and passes axe-core; and the header's
language switch on the appeal form brings back what was typed, in the new language."""

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
SHOTS = os.environ.get("QYZMET_SHOTS_DIR", "")


def _signed_in(page, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])  # fmt: skip


def _overflow(page, width: int) -> int:
    page.set_viewport_size({"width": width, "height": 800})
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_my_data_in_kazakh_at_320_px_with_axe(page, live_server):
    from playwright.sync_api import expect

    from qyzmet.audit.services import personal_data_read
    from tests.identity.factories import MembershipFactory, OrganisationFactory, UserFactory

    person = UserFactory()
    org = OrganisationFactory(name_kk="Қазақстан Республикасы Ішкі істер министрлігінің "
                                      "көші-қон қызметі комитеті")  # fmt: skip
    officer = MembershipFactory(organisation=org, role="officer").user
    for what, fields in (
        ("population.person", ["iin", "full_name", "birth_date"]),
        ("population.address", ["address.full", "address.registered_since"]),
    ):
        personal_data_read(
            actor=officer,
            subject_iin=person.iin,
            what=what,
            purpose="deciding on application 12",
            data={"fields": fields},
        )
    personal_data_read(actor=None, subject_iin=person.iin, what="population.person",
                       purpose="reading case history", data={"fields": ["full_name"]})  # fmt: skip
    _signed_in(page, live_server, person)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/my/data/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    visits = page.locator("ol.visits > li")
    expect(visits).to_have_count(2)
    expect(visits.nth(1).locator("h2")).to_have_text("Өтініміңіз бойынша шешім қабылдау")
    expect(visits.nth(1)).to_contain_text(org.name_kk)
    details = visits.nth(1).locator("details")
    expect(details.locator("ul")).to_be_hidden()
    details.locator("summary").click()  # a native disclosure: no script involved
    expect(details.locator("li")).to_have_count(2)
    axe_check(page)
    assert _overflow(page, 320) <= 0
    _shot(page, "my-data-kk-320")
    assert _overflow(page, 1280) <= 0
    _shot(page, "my-data-kk-1280")


def test_language_switch_on_the_appeal_form_keeps_the_text(page, live_server):
    from playwright.sync_api import expect

    from tests.identity.factories import UserFactory

    _signed_in(page, live_server, UserFactory())
    page.goto("/appeals/new/")
    page.locator("#text").fill("Аулада шұңқыр бар")
    page.locator("#address").fill("Абай даңғылы, 10")
    page.locator("#lang-select").select_option("ru")
    page.get_by_role("button", name="Ауыстыру").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("#text")).to_have_value("Аулада шұңқыр бар")
    expect(page.locator("#address")).to_have_value("Абай даңғылы, 10")
