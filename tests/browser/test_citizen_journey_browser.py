"""The citizen's journey in a real browser, as a person does it: find the service, sign in with
the SMS code, apply with registry facts prefilled, check the answers (and change one), sign them,
land on the confirmation, answer the officer's question with a file, download the signed result
and verify it. axe-core checks every page against WCAG 2.1 A/AA; the journey's own pages are also
checked to fit a 320 px wide phone without horizontal scrolling.

The officer's side is done through the application services (the back office has its own tests);
what is under test here is what the citizen sees and can do with a mouse, a keyboard and a
screen reader."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.utils import translation

from .conftest import (
    PASSWORD,
    RUN_BROWSER,
    SKIP_REASON,
    axe_check,
    latest_sms_code,
    screenshot,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

SERVICE = "kz.address-certificate"
APPLY_PATH = f"/services/{SERVICE}/apply/"
PDF_UPLOAD = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OFFICER_QUESTION = "Банктің сұрау хатын тіркеңіз."


def _status(state: str, lang: str) -> str:
    from qyzmet.ui.labels import status_label

    with translation.override(lang):
        return str(status_label(state))


def _switch_language(page, lang: str) -> None:
    """Use the language form in the header, as a person would, and wait for the new page."""
    from playwright.sync_api import expect

    switch = page.locator("form.lang-switch")
    switch.locator("select").select_option(lang)
    with page.expect_navigation():
        switch.locator("button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _officer_act(iin: str, application_id: int, action: str, reason: str = "") -> None:
    """The officer's step through the services. A decision that ends the case is signed first,
    with the code from the SMS outbox. It runs in its own thread: Playwright's event loop runs in
    this one, and the result PDF is sealed (with asyncio) when the approval commits."""
    from qyzmet.applications import services
    from qyzmet.applications.models import Application
    from qyzmet.identity.models import User
    from qyzmet.signatures.services import signature_confirm

    failures: list[BaseException] = []

    def act() -> None:
        try:
            officer = User.objects.get(iin=iin)
            application = Application.objects.get(pk=application_id)
            if not services.action_is_final(application=application, action=action):
                services.application_act(
                    actor=officer, application_id=application_id, action=action, reason=reason
                )
                return
            request = services.application_decision_sign(
                actor=officer, application_id=application_id, action=action, reason=reason
            )
            signature_confirm(actor=officer, request_id=request.id, code=latest_sms_code(iin))
            services.application_act_signed(
                actor=officer, application_id=application_id, signature_request_id=request.id
            )
        except BaseException as exc:
            failures.append(exc)
        finally:
            from django.db import connection

            connection.close()

    worker = threading.Thread(target=act)
    worker.start()
    worker.join(timeout=60)
    if failures:
        raise failures[0]


def _fits_a_phone(page) -> None:
    """WCAG 1.4.10 reflow: at 320 CSS px the page scrolls only vertically."""
    original = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 700})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{page.url} is {width} px wide at 320 px"
    finally:
        page.set_viewport_size(original)


def _sign_in(page, iin: str) -> None:
    """The sign-in pages: IIN and password, then the code read from the SMS outbox."""
    from playwright.sync_api import expect

    expect(page).to_have_url(re.compile(r"/login/\?next="))
    axe_check(page)
    page.locator("#id_iin").fill(iin)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/login/code/$"))
    axe_check(page)
    page.locator("#id_code").fill(latest_sms_code(iin))
    page.locator("main form button[type=submit]").click()


def test_citizen_applies_and_gets_a_verifiable_result(page, demo_world, live_server):
    from playwright.sync_api import expect

    from qyzmet.applications.models import Application, Attachment
    from qyzmet.registries.population.models import Person

    citizen = demo_world.citizen_a
    full_name = Person.objects.get(iin=citizen).full_name

    # 1. The home page, in Kazakh; the citizen switches to Russian and searches the catalogue.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    axe_check(page)
    _switch_language(page, "ru")
    expect(page).to_have_url(f"{live_server.url}/")
    axe_check(page)
    page.locator("#service-search").fill("адресная справка")
    page.locator("#service-search").press("Enter")
    expect(page).to_have_url(re.compile(r"/services/\?q="))
    results = page.locator("main ul.cards")
    expect(results.get_by_role("link", name="Адресная справка с места жительства")).to_be_visible()
    axe_check(page)
    results.get_by_role("link", name="Адресная справка с места жительства").click()
    expect(page).to_have_url(f"{live_server.url}/services/{SERVICE}/")
    expect(page.locator("h1")).to_have_text("Адресная справка с места жительства")
    axe_check(page)
    page.locator(f"main a.button[href='{APPLY_PATH}']").click()

    # 2. Not signed in yet: the sign-in pages, then back to the form.
    _sign_in(page, citizen)
    expect(page).to_have_url(f"{live_server.url}{APPLY_PATH}")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # 3. The form; she switches back to Kazakh. The registry facts are shown, not editable.
    _switch_language(page, "kk")
    expect(page).to_have_url(f"{live_server.url}{APPLY_PATH}")
    expect(page.locator("h1")).to_have_text("Тұрғылықты жері туралы анықтама")
    facts = page.locator("dl.readonly-facts")
    expect(facts).to_contain_text(full_name)
    expect(facts.locator("input, select, textarea")).to_have_count(0)
    axe_check(page)

    # Continued with the required field empty: the error summary is at the top of the page, has
    # the focus (a screen reader reads it first) and links to the field, which is marked invalid.
    expect(page.locator("a.back-link")).to_have_attribute("href", f"/services/{SERVICE}/")
    page.locator("button[name=intent][value=check]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_be_in_viewport()
    first_in_main = page.locator("main > :not(.messages)").first
    expect(first_in_main).to_have_class(re.compile(r"\berror-summary\b"))
    assert page.evaluate("window.scrollY") == 0
    expect(page).to_have_title(re.compile(r"^Қате"))
    axe_check(page)
    link = summary.get_by_role("link").first
    expect(link).to_have_attribute("href", "#field-purpose")
    expect(page.locator("#field-purpose")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-purpose-error")).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"#field-purpose$"))
    expect(page.locator("#field-purpose")).to_be_in_viewport()

    # Filled in properly, saved as a draft, continued, submitted.
    page.locator("#field-purpose").select_option("bank")
    page.locator("#field-presented_to").fill("Халық банкі")
    page.locator("#field-comment").fill("Ипотекаға")
    page.locator("button[name=intent][value=draft]").click()
    expect(page).to_have_url(re.compile(r"/my/applications/\d+/(#[\w-]*)?$"))
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("main .tag").first).to_have_text(_status("draft", "kk"))
    axe_check(page)
    page.locator("main a.button[href*='?draft=']").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(APPLY_PATH)}\?draft=\d+(#[\w-]*)?$"))
    expect(page.locator("#field-purpose")).to_have_value("bank")
    expect(page.locator("#field-presented_to")).to_have_value("Халық банкі")
    expect(page.locator("#field-comment")).to_have_value("Ипотекаға")
    axe_check(page)
    screenshot(page, "apply")
    # The demo gives citizen A cases of her own in officers' inboxes: only a new one counts.
    submitted_before = set(
        Application.objects.filter(applicant_iin=citizen, state="submitted").values_list(
            "pk", flat=True))
    page.locator("button[name=intent][value=check]").click()

    # Check your answers: each answer in words with a Change link, the registry facts to be used.
    check_path = f"/services/{SERVICE}/apply/check/?draft="
    expect(page).to_have_url(re.compile(rf"{re.escape(check_path)}\d+(#[\w-]*)?$"))
    answers = page.locator("dl[data-answers]")
    expect(answers).to_contain_text("Халық банкі")
    expect(answers).to_contain_text("Ипотекаға")
    expect(answers).not_to_contain_text("bank")
    expect(page.locator("dl[data-facts]")).to_contain_text(full_name)
    axe_check(page)
    _fits_a_phone(page)
    screenshot(page, "check-answers")
    # Change one answer: back at its question, focused, with every answer kept.
    page.locator("[data-field=comment] a").click()
    expect(page.locator("#field-comment")).to_be_focused()
    expect(page.locator("#field-comment")).to_have_value("Ипотекаға")
    expect(page.locator("#field-presented_to")).to_have_value("Халық банкі")
    page.locator("#field-comment").fill("Ипотекаға, 2-пәтер")
    page.locator("button[name=intent][value=check]").click()
    expect(answers).to_contain_text("Ипотекаға, 2-пәтер")
    assert set(
        Application.objects.filter(applicant_iin=citizen, state="submitted").values_list(
            "pk", flat=True)) == submitted_before
    page.locator("main form button[type=submit]").click()

    # The signing page shows the answers in words; the signed JSON and its hash are behind the
    # "Technical details" disclosure. The code from the SMS signs it, and only then is the
    # application submitted.
    expect(page).to_have_url(re.compile(r"/sign/[\w-]+/\?next="))
    expect(page.locator("dl[data-answers]")).to_contain_text("Ипотекаға, 2-пәтер")
    expect(page.locator("pre.signed-content")).to_be_hidden()
    expect(page.locator("[data-sha256]")).to_be_hidden()
    page.locator("details[data-technical] summary").click()
    expect(page.locator("pre.signed-content")).to_contain_text("Халық банкі")
    expect(page.locator("pre.signed-content")).to_contain_text(full_name.split()[0])
    assert set(
        Application.objects.filter(applicant_iin=citizen, state="submitted").values_list(
            "pk", flat=True)) == submitted_before
    axe_check(page)
    _fits_a_phone(page)
    screenshot(page, "sign")
    page.locator("#id_code").fill(latest_sms_code(citizen))
    page.locator("main form button[type=submit]").click()

    # 4. The confirmation: a panel with the reference number and the due date; it is there
    # again on reload; from it, the application page with its number and status.
    expect(page).to_have_url(re.compile(r"/my/applications/\d+/submitted/(#[\w-]*)?$"))
    application_id = int(re.search(r"/my/applications/(\d+)/", page.url).group(1))
    application = Application.objects.get(pk=application_id)
    panel = page.locator("[data-panel=submitted]")
    expect(panel).to_contain_text(application.number)
    expect(page.locator("[data-due]")).not_to_be_empty()
    axe_check(page)
    _fits_a_phone(page)
    screenshot(page, "submitted")
    page.reload()
    expect(panel).to_contain_text(application.number)
    page.locator(f"main a.button[href='/my/applications/{application_id}/']").click()
    expect(page).to_have_url(re.compile(rf"/my/applications/{application_id}/(#[\w-]*)?$"))
    application = Application.objects.get(pk=application_id)
    assert application.applicant_iin == citizen
    assert application.state == "submitted"
    assert application.data == {
        "purpose": "bank",
        "presented_to": "Халық банкі",
        "comment": "Ипотекаға, 2-пәтер",
    }
    expect(page.locator("h1")).to_contain_text(application.number)
    expect(page.locator("main .tag").first).to_have_text(_status("submitted", "kk"))
    expect(page.locator("[data-signature]").first).to_contain_text(citizen)
    assert application.submission_signature_id
    axe_check(page)

    # The officer takes it and asks for more information; the citizen reloads and answers.
    _officer_act(demo_world.officer_mvd, application_id, "take")
    _officer_act(demo_world.officer_mvd, application_id, "request_info", OFFICER_QUESTION)
    page.reload()
    expect(page.locator("main .tag").first).to_have_text(_status("info_requested", "kk"))
    expect(page.locator("blockquote")).to_have_text(OFFICER_QUESTION)
    axe_check(page)
    screenshot(page, "application")
    page.locator("#field-answer").fill("Хатты тіркедім.")
    page.locator("#field-file").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": PDF_UPLOAD}]
    )
    page.locator("form[action$='/answer/'] button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("main .tag").first).to_have_text(_status("in_review", "kk"))
    expect(page.locator("#field-answer")).to_have_count(0)
    axe_check(page)
    attachment = Attachment.objects.get(application_id=application_id)
    assert attachment.filename == "letter.pdf"

    # The officer approves; the citizen downloads the result and verifies it.
    _officer_act(demo_world.officer_mvd, application_id, "approve")
    page.reload()
    expect(page.locator("main .tag").first).to_have_text(_status("approved", "kk"))
    axe_check(page)
    with page.expect_download() as download_info:
        page.locator("a[href$='/result.pdf']").click()
    download = download_info.value
    assert download.suggested_filename == f"{application.number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")

    page.locator("#result-title ~ p a[href^='/verify/']").click()
    expect(page).to_have_url(re.compile(r"/verify/[A-Za-z0-9_-]+/$"))
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "valid")
    expect(page.locator("main")).not_to_contain_text(citizen)
    axe_check(page)


def test_keyboard_reaches_skip_link_first_then_the_form_in_order(page, demo_world, live_server):
    """Tab from the top of the apply page: the skip link first; following it, the next Tabs go
    through the form's controls in the order they are read."""
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import expect

    from qyzmet.catalog.selectors import service_current
    from qyzmet.identity.models import User
    from qyzmet.ui.forms import field_order

    # Signing in through the pages is the other test's job: reuse a real session here.
    client = Client()
    client.force_login(User.objects.get(iin=demo_world.citizen_a))
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(APPLY_PATH)
    expect(page.locator("#field-purpose")).to_be_visible()
    axe_check(page)

    def focused() -> str:
        return page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className"
            " + '@' + (e.getAttribute('href') || e.getAttribute('type') || ''); }"
        )

    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    expect(page.locator(".skip-link")).to_be_in_viewport()  # shown when focused
    page.keyboard.press("Tab")
    expect(page.locator("a.brand")).to_be_focused()

    # Back to the top, and through the skip link into the form.
    page.goto(APPLY_PATH)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main")).to_be_focused()
    # The package's reading order (`ui_order`), then Submit, then Save draft.
    form = service_current(code=SERVICE).package.form
    expected = [f"#field-{name}" for name in field_order(form)]
    expected += ["button.@submit", "button.secondary@submit"]
    assert expected[0] == "#field-purpose"
    order = []
    for _ in expected:
        page.keyboard.press("Tab")
        order.append(focused())
    assert order == expected
    expect(page.locator("button[name=intent][value=draft]")).to_be_focused()
