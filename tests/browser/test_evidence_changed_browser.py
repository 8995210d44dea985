"""A registry fact that changes while the citizen is applying, in a real browser: she is not
asked to sign something other than what she saw. She fills the form (the registry facts shown),
goes to check her answers, the population register records her new address meanwhile, and when
she goes on to sign she is brought back to check-your-answers, told in Kazakh what changed
(was / now, in words) and that nothing was signed or submitted; then she signs the new facts.
axe-core checks the page; it fits a 320 px phone; screenshots at both widths."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from .conftest import RUN_BROWSER, SKIP_REASON, axe_check, latest_sms_code, screenshot
from .test_citizen_journey_browser import _fits_a_phone, _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

SERVICE = "kz.address-certificate"
APPLY_PATH = f"/services/{SERVICE}/apply/"
NEW_ADDRESS = "Астана қ., Мәңгілік Ел даңғылы, 55, 12-пәтер"


def test_a_fact_changed_before_signing_is_shown_and_signed_again(
    page, demo_world, live_server, settings
):
    from playwright.sync_api import expect

    from qyzmet.applications.models import Application
    from qyzmet.registries.population.models import Person

    # Facts are reused only while fresh: with no freshness, signing reads them again.
    settings.QYZMET_EVIDENCE_MAX_AGE_SECONDS = 0
    citizen = demo_world.citizen_a
    old_address = Person.objects.select_related("address").get(iin=citizen).address.full

    page.goto(APPLY_PATH)
    _sign_in(page, citizen)
    expect(page).to_have_url(f"{live_server.url}{APPLY_PATH}")
    page.locator("#field-purpose").select_option("bank")
    page.locator("#field-presented_to").fill("Халық банкі")
    page.locator("button[name=intent][value=check]").click()
    expect(page).to_have_url(re.compile(r"/apply/check/"))
    facts = page.locator("dl[data-facts]")
    expect(facts).not_to_contain_text(NEW_ADDRESS)

    # The register records a new address (the registry is the source of truth).
    _address_change(citizen, NEW_ADDRESS)
    before = Application.objects.filter(applicant_iin=citizen).count()
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/apply/check/"))
    alert = page.locator("[data-facts-changed]")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert.locator("h2")).to_have_text("Мемлекеттік тізілімдердегі деректеріңіз өзгерді")
    change = alert.locator("[data-fact-change]").first
    expect(change).to_contain_text(NEW_ADDRESS)
    text = alert.inner_text()
    for code in ("address", "population", "full_name", "evidence_changed"):
        assert code not in text, code
    expect(change).to_contain_text(old_address)
    expect(page.locator("dl[data-facts]")).to_contain_text(NEW_ADDRESS)
    assert Application.objects.filter(applicant_iin=citizen).count() == before
    axe_check(page)
    _fits_a_phone(page)
    screenshot(page, "check-answers-facts-changed")

    # She signs again, now the new facts, and the application is submitted with them.
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sign/[\w-]+/\?next="))
    page.locator("#id_code").fill(latest_sms_code(citizen))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my/applications/\d+/submitted/(#[\w-]*)?$"))
    application_id = int(re.search(r"/my/applications/(\d+)/", page.url).group(1))
    evidence = Application.objects.get(pk=application_id).evidence
    assert NEW_ADDRESS in str(evidence)


def _address_change(iin: str, address: str) -> None:
    """Through the population register's own write (it publishes address_changed), in a
    thread: Playwright's event loop runs in this one."""
    import threading

    from django.db import connection

    failures: list[BaseException] = []

    def change() -> None:
        from qyzmet.registries.population.services import address_change

        try:
            address_change(
                actor=None, iin=iin, region="Астана", city="Астана",
                street="Мәңгілік Ел даңғылы", building="55", apartment="12", full=address,
                registered_since=dt.date.today(),
            )
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=change)
    worker.start()
    worker.join(timeout=30)
    if failures:
        raise failures[0]
