"""In a real browser, in Kazakh: the forms of the new online services (passport, driving licence,
vehicle registration, marriage and death registration) and their "check your answers" pages pass
axe-core and reflow at 320 CSS px without sideways scrolling, as at 1280 px. Their fields differ
from the reference service's (tick boxes with long labels, dates, numbers, IINs), so the
every-page suite's one service does not speak for them. Screenshots at both widths go to
var/screenshots/."""

from __future__ import annotations

import pytest

from tests.portal.test_online_fee_services import CASES

from .conftest import RUN_BROWSER, SCREENSHOTS, SKIP_REASON, axe_check

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]


def _signed_in(page, live_server, user) -> None:
    """Reuse a real session (signing in through the pages is the journey test's job)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


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


def test_the_new_forms_and_their_check_pages_fit_and_pass_axe(page, live_server):
    from playwright.sync_api import expect

    from tests.portal.factories import catalog_loaded, citizen
    from tests.registries.factories import PersonFactory

    catalog_loaded()
    me = citizen(last_name="Тоқтарова", first_name="Мадина", sex="F")
    _signed_in(page, live_server, me)
    for code, case in sorted(CASES.items()):
        fields = dict(case.fields)
        if case.other_field:
            fields[case.other_field] = PersonFactory(sex="M").iin
        page.goto(f"/services/{code}/apply/")
        expect(page.locator("html")).to_have_attribute("lang", "kk")
        expect(page.locator("h1")).to_contain_text(case.title_kk)
        axe_check(page)
        _fits(page, f"apply-{code}-kk")
        for name, value in fields.items():
            field = page.locator(f"#field-{name}")
            kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
            if kind == "select":
                field.select_option(value)
            elif kind == "checkbox":
                field.check()
            else:
                field.fill(value)
        page.locator("button[name=intent][value=check]").click()
        expect(page).to_have_url(f"{live_server.url}/services/{code}/apply/check/")
        expect(page.locator("main")).to_contain_text(case.answer_kk)
        axe_check(page)
        _fits(page, f"check-{code}-kk")


def test_the_officers_case_page_names_whose_facts_they_are(page, live_server):
    """The marriage and death cases show two people's registry facts: on the officer's case page
    each of the other person's rows says whose it is, and the page passes axe and reflows."""
    from django.utils import timezone
    from playwright.sync_api import expect

    from qyzmet.applications import services as app_services
    from qyzmet.applications.selectors import application_payment
    from qyzmet.payments.services import payment_record_success
    from tests.portal.factories import catalog_loaded, citizen, officer
    from tests.registries.factories import PersonFactory

    catalog_loaded()
    me = citizen(last_name="Тоқтарова", first_name="Мадина", sex="F")
    for code, whose in (("kz.marriage-registration", "Болашақ жұбайы"),
                        ("kz.death-registration", "Марқұм")):  # fmt: skip
        case = CASES[code]
        data = {k: (True if v == "on" else v) for k, v in case.fields.items()}
        data[case.other_field] = PersonFactory(last_name="Жұмабеков", sex="M").iin
        application, _new = app_services.application_submit(
            actor=me, service_code=code, data=data, idempotency_key=f"browser-{code}"
        )
        if application.state == "awaiting_payment":
            # A fee-bearing case reaches the agency once paid (here as a bank transfer); the
            # live-server test commits, so the `payment.succeeded` consumer starts the workflow.
            payment = application_payment(application=application)
            payment_record_success(
                payment_id=payment.id, provider="reference", amount=payment.amount,
                currency=payment.currency, at=timezone.now(), external_ref=f"line-{code}",
            )  # fmt: skip
        _signed_in(page, live_server, officer(case.agency))
        page.goto(f"/backoffice/cases/{application.pk}/")
        expect(page.locator("main")).to_contain_text(f"{whose} — ")
        expect(page.locator("main")).to_contain_text("Жұмабеков")
        axe_check(page)
        _fits(page, f"case-{code}-kk")
