"""Paying a fee in a real browser, against the sandbox card acquirer running as its own process
(its webhooks posted to the live server): the citizen applies for a passport in Kazakh, signs,
sees the fee due, pays by card — declined first, then paid with another card — comes back to a
page that tells the truth, finds the application in the agency's inbox with the deadline counted
from today, downloads the signed receipt and verifies it. A second journey takes the 3-D Secure
path after a bank that never answers (the return page waits, reloading itself without
JavaScript, and then says the payment was not completed), and looks at the invoice to pay at a
bank. Each payment page is checked with axe-core and at 320 px; screenshots in Kazakh at 320 and
1280 px go to var/screenshots/payment-*.png."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from pathlib import Path

import pytest
from django.utils import timezone

from qyzmet.core.formats import date_long
from qyzmet.countries.kz.demo import DEMO_OFFICER_IINS
from tests.payments.sandbox_support import SECRET, SandboxProcess

from .conftest import (
    RUN_BROWSER,
    SCREENSHOTS,
    SKIP_REASON,
    WCAG_TAGS,
    axe_check,
    latest_sms_code,
)
from .test_citizen_journey_browser import _sign_in

# The sandbox acquirer process fixtures (`sandbox`, `sandbox_factory`).
pytest_plugins = ["tests.payments.sandbox_process"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not RUN_BROWSER, reason=SKIP_REASON),
]

PASSPORT = "kz.passport"
# The sandbox's test cards (payments/sandbox/cards.py).
SUCCESS = "4000000000000002"
DECLINE_FUNDS = "4000000000000010"
CHALLENGE = "4000000000003220"
TIMEOUT = "4000000000000028"
CHALLENGE_CODE = "123456"
OFFICE = "Алматы, Бостандық ауданының ХҚКО"
FEE_KK = "17\u00a0300\u00a0₸"  # 4 MCI of 2026, as a Kazakh page writes it


def _platform(settings, live_server, sandbox: SandboxProcess) -> None:
    """The platform's card provider is the sandbox process; it posts webhooks to the live
    server, and sends the payer back there."""
    settings.QYZMET_PUBLIC_BASE_URL = live_server.url
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {
            "base_url": sandbox.url,
            "secret": SECRET,
            "timeout": 10,
            "webhook_url": f"{live_server.url}/api/v1/payments/webhooks/sandbox",
        },
        "reference": {},
    }


def _shots(page, name: str) -> None:
    """The page in Kazakh at 320 and 1280 px, full height: var/screenshots/payment-<name>-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SCREENSHOTS / f"payment-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(original)


def _fits_320(page) -> None:
    original = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 700})
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{page.url} is {width} px wide at 320 px"
    finally:
        page.set_viewport_size(original)


def _card(page, number: str) -> None:
    """The payer on the acquirer's card page: the card's details, then Enter."""
    year = (dt.date.today().year + 3) % 100
    page.locator("#card_number").fill(number)
    page.locator("#expiry").fill(f"08/{year:02d}")
    page.locator("#cvc").fill("123")
    page.locator("#name").fill("ZHANAR AKHMETOVA")
    page.locator("#name").press("Enter")


def _in_thread(fn):
    """Service calls from the test run in a thread of their own (Playwright's loop runs in this
    one, and documents are sealed with asyncio when a payment commits)."""
    from django.db import connection

    result, failures = [], []

    def run() -> None:
        try:
            result.append(fn())
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=120)
    if failures:
        raise failures[0]
    return result[0]


def _session(page, live_server, iin: str) -> None:
    from django.conf import settings
    from django.test import Client

    from qyzmet.identity.models import User

    client = Client()
    client.force_login(User.objects.get(iin=iin))
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])  # fmt: skip


def _wait_for(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_citizen_pays_the_passport_fee_by_card_after_a_decline(
    page, browser, demo_world, live_server, sandbox, settings
):
    from playwright.sync_api import expect

    from qyzmet.applications.models import Application
    from qyzmet.applications.selectors import inbox_list
    from qyzmet.core.calendar import calendar_default
    from qyzmet.documents.selectors import document_check_bytes, document_signature_check
    from qyzmet.identity.models import User
    from qyzmet.payments.models import Payment, ProviderWebhook

    _platform(settings, live_server, sandbox)
    citizen = demo_world.citizen_a

    # 1. The service's page says there is a fee; the citizen signs in and applies.
    page.goto(f"/services/{PASSPORT}/")
    expect(page.locator("[data-fee-amount]")).to_contain_text(FEE_KK)
    page.locator(f"main a.button[href='/services/{PASSPORT}/apply/']").click()
    _sign_in(page, citizen)
    expect(page).to_have_url(f"{live_server.url}/services/{PASSPORT}/apply/")
    page.locator("#field-reason").select_option("expired")
    page.locator("#field-collection_office").fill(OFFICE)
    page.locator("#field-personal_attendance").check()
    page.locator("button[name=intent][value=check]").click()
    expect(page.locator("dl[data-fee]")).to_contain_text(FEE_KK)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/sign/[\w-]+/\?next="))
    page.locator("#id_code").fill(latest_sms_code(citizen))
    page.locator("main form button[type=submit]").click()

    # 2. Signed: the fee is due; the application waits outside the agency's inbox.
    expect(page).to_have_url(re.compile(r"/my/applications/\d+/submitted/(#[\w-]*)?$"))
    application_id = int(re.search(r"/my/applications/(\d+)/", page.url).group(1))
    application = Application.objects.get(pk=application_id)
    assert application.state == Application.AWAITING_PAYMENT and application.due_date is None
    payment_path = f"/my/payments/{application.payment_public_id}/"
    expect(page.locator("[data-payment-due]")).to_contain_text(FEE_KK)
    page.locator(f"[data-payment-due] a[href='{payment_path}']").click()

    # 3. The payment page: what for, how much, by when, the two ways to pay.
    expect(page).to_have_url(f"{live_server.url}{payment_path}")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.locator("[data-amount]")).to_contain_text(FEE_KK)
    expect(page.locator("dl.summary")).to_contain_text(application.number)
    expect(page.locator("[data-way=card] button")).to_be_visible()
    expect(page.locator("[data-way=invoice] button")).to_be_visible()
    axe_check(page)
    _fits_320(page)
    _shots(page, "due")

    # 4. By card: declined for want of money. The acquirer sends her back; the page says so.
    page.locator("[data-way=card] button").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox.url)}/pay/"))
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    _card(page, DECLINE_FUNDS)
    expect(page).to_have_url(re.compile(rf"{re.escape(payment_path)}return/\?payment="))
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "declined")
    expect(page.locator("[data-failure]")).to_have_text("Картада ақша жеткіліксіз.")
    expect(page.locator("h1")).to_have_text("Төлем қабылданбады")
    axe_check(page)
    _fits_320(page)
    _shots(page, "declined")
    assert Payment.objects.get(source_ref=f"application:{application_id}").state == "awaiting"
    assert Application.objects.get(pk=application_id).state == Application.AWAITING_PAYMENT

    # 5. Again, with a card that pays: the return page says paid, where the application went
    # and by when the decision is due — counted from today, the day paid.
    page.locator("[data-way=card] button").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox.url)}/pay/"))
    _card(page, SUCCESS)
    expect(page).to_have_url(re.compile(rf"{re.escape(payment_path)}return/\?payment="))
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "paid")
    # The receipt is sealed after the payment commits (maybe in the webhook's request): the
    # page looks again by itself until it is there.
    expect(page.locator("[data-receipt] a.button")).to_be_visible(timeout=30_000)
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    due = calendar_default().add_working_days(timezone.localdate(), 15)
    application.refresh_from_db()
    assert application.due_date == due
    assert application.paid_at is not None
    expect(page.locator("[data-due]")).to_have_text(date_long(due, "kk"))
    expect(page.locator("[data-application-sent]")).to_contain_text("Көші-қон")
    expect(page.locator("[data-payment-state]")).to_have_text("Төленді")
    axe_check(page)
    _fits_320(page)
    _shots(page, "paid")
    # The acquirer's signed webhook reached the live server too (the page had asked already).
    assert _wait_for(lambda: ProviderWebhook.objects.filter(
        provider="sandbox", state="processed").count() >= 2)  # fmt: skip
    payment = Payment.objects.get(source_ref=f"application:{application_id}")
    assert (payment.state, payment.amount_paid, payment.attempts.count()) == (
        "paid", 1_730_000, 2,
    )  # fmt: skip

    # 6. In the agency's inbox, with its deadline.
    migration_officer = next(i for i, r in DEMO_OFFICER_IINS["kz-mvd-migration"] if r == "officer")
    officer = User.objects.get(iin=migration_officer)
    inbox = inbox_list(user=officer, limit=100).items
    assert application.number in [a.number for a in inbox]
    assert next(a for a in inbox if a.number == application.number).due_date == due

    # 7. The receipt: a signed PDF, verified like every issued document.
    with page.expect_download() as download_info:
        page.locator("[data-receipt] a.button").click()
    download = download_info.value
    assert download.suggested_filename == f"receipt-{payment.reference}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    check = document_signature_check(public_id=payment.receipt_document_id, pdf_bytes=pdf)
    assert (check.signature, check.certificate_status) == ("ok", "good")
    assert document_check_bytes(public_id=payment.receipt_document_id, pdf_bytes=pdf)
    page.locator("[data-receipt] a[href*='/verify/']").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "valid")
    axe_check(page)

    # 8. Her application's page says paid, with the amount; her payments list too.
    page.goto(f"/my/applications/{application_id}/")
    expect(page.locator("[data-application-payment]")).to_have_attribute(
        "data-application-payment", "paid"
    )
    expect(page.locator("[data-application-payment]")).to_contain_text(FEE_KK)
    axe_check(page)
    page.goto("/my/payments/")
    expect(page.locator("table[data-payments]")).to_contain_text(application.number)
    axe_check(page)
    _fits_320(page)

    # 9. The officer opens the case: "Paid" beside it.
    desk = browser.new_context(base_url=live_server.url, locale="kk-KZ")
    try:
        officer_page = desk.new_page()
        _session(officer_page, live_server, migration_officer)
        officer_page.goto("/backoffice/")
        officer_page.get_by_role("link", name=application.number).first.click()
        expect(officer_page.locator("[data-case-fee]")).to_have_attribute("data-case-fee", "paid")
        expect(officer_page.locator("[data-case-fee]")).to_contain_text(FEE_KK)
        axe_check(officer_page)
    finally:
        desk.close()


def _axe_allowing_refresh(page) -> None:
    """axe-core's WCAG 2.1 A/AA rules except `meta-refresh`: the waiting page reloads itself
    on purpose (no JavaScript needed) and meets WCAG 2.2.1 by letting the payer turn it off
    ("Stop checking automatically"), which the test uses; every other rule applies."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "rules": {"meta-refresh": {"enabled": False}},
            "resultTypes": ["violations"],
        },
    )
    violations = [f"{v['id']}: {v['help']}" for v in results.response["violations"]]
    assert not violations, violations


def test_a_bank_that_does_not_answer_then_3d_secure_and_the_invoice(
    page, demo_world, live_server, sandbox_factory, settings
):
    from playwright.sync_api import expect

    from qyzmet.applications import services as app_services
    from qyzmet.applications.models import Application
    from qyzmet.identity.models import User
    from qyzmet.payments.models import Payment, PaymentAttempt

    # A card page that times out after 8 seconds, at the acquirer and on the platform.
    sandbox = sandbox_factory("--page-timeout", "8")
    _platform(settings, live_server, sandbox)
    settings.QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS = 8
    citizen = User.objects.get(iin=demo_world.citizen_b)
    data = {"reason": "pages_full", "collection_office": OFFICE, "personal_attendance": True}
    application = _in_thread(lambda: app_services.application_submit(
        actor=citizen, service_code=PASSPORT, data=data, language="kk")[0])  # fmt: skip
    application.refresh_from_db()
    payment_path = f"/my/payments/{application.payment_public_id}/"
    _session(page, live_server, citizen.iin)

    # 1. The invoice to pay at a bank: the number to quote, the account, printable.
    page.goto(payment_path)
    page.locator("[data-way=invoice] button").click()
    expect(page).to_have_url(f"{live_server.url}{payment_path}invoice/")
    reference = Payment.objects.get(source_ref=f"application:{application.pk}").reference
    expect(page.locator("[data-reference]")).to_have_text(
        " ".join(re.findall(r"\d{4}", reference))
    )
    expect(page.locator("[data-invoice]")).to_contain_text(citizen.iin)
    expect(page.locator("[data-iban]")).not_to_be_empty()
    axe_check(page)
    _fits_320(page)
    _shots(page, "invoice")
    page.locator("a.back-link").click()

    # 2. A card whose bank never answers: back on the platform, the page waits and says it is
    # safe to leave; it reloads itself until the acquirer gives up, then says so.
    page.locator("[data-way=card] button").click()
    _card(page, TIMEOUT)
    expect(page).to_have_url(re.compile(rf"^{re.escape(sandbox.url)}/pay/"))
    page.locator(f"a[href*='{payment_path}return/']").click()
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "pending")
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(1)
    _axe_allowing_refresh(page)
    _fits_320(page)
    _shots(page, "pending")
    # Turned off, the page stays put and offers to check again.
    page.get_by_role("link", name="Автоматты тексеруді тоқтату").click()
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    axe_check(page)
    page.goto(f"{payment_path}return/")
    expect(page.locator("[data-outcome]")).to_have_attribute(
        "data-outcome", "incomplete", timeout=30_000
    )
    axe_check(page)
    assert PaymentAttempt.objects.filter(state="expired", provider="sandbox").count() == 1

    # 3. 3-D Secure: the bank's page asks for the one-time code; then paid.
    page.locator("[data-way=card] button").click()
    _card(page, CHALLENGE)
    expect(page.locator("#code")).to_be_visible()
    page.locator("#code").fill(CHALLENGE_CODE)
    page.locator("#code").press("Enter")
    expect(page).to_have_url(re.compile(rf"{re.escape(payment_path)}return/\?payment="))
    expect(page.locator("[data-outcome]")).to_have_attribute("data-outcome", "paid")
    expect(page.locator("[data-receipt] a.button")).to_be_visible(timeout=30_000)
    axe_check(page)
    _shots(page, "paid-3ds")
    application.refresh_from_db()
    assert application.state not in (Application.AWAITING_PAYMENT, Application.LAPSED)
    payment = Payment.objects.get(source_ref=f"application:{application.pk}")
    assert (payment.state, payment.paid_via) == ("paid", "sandbox")
    # The invoice handed out earlier is over: nobody is to pay it now.
    invoice = PaymentAttempt.objects.get(payment=payment, provider="reference")
    assert (invoice.state, invoice.failure_code) == ("expired", "paid_otherwise")
