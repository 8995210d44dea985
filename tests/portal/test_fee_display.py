"""The fee as the citizen reads it: on the start page in tenge and MCI with who pays less, on
check-your-answers what this citizen pays (the full fee, the exemption in words and 0 ₸ for an
exempt pensioner), and "Payment due" on the application page while the fee is unpaid — in
Kazakh, Russian and English. Free services show nothing new."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from qyzmet.applications.models import Application
from tests.applications.signing import sms_code, texted
from tests.portal.factories import catalog_loaded, citizen

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
PASSPORT_FIELDS = {
    "reason": "expired",
    "previous_passport_number": "N12345678",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": "on",
}


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _get(client, url: str, lang: str) -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("17,300 ₸ (4 MCI)", "Paying the fee",
                "Pensioner by age (men from 63, women from 61)",
                "Parent of a large family (four or more children)")),
        ("ru", (f"17{NBSP}300{NBSP}₸ (4 МРП)", "Оплата пошлины",
                "Пенсионер по возрасту (мужчины с 63 лет, женщины с 61 года)")),
        ("kk", (f"17{NBSP}300{NBSP}₸ (4 АЕК)", "Бажды төлеу", "Жасы бойынша зейнеткер")),
    ],
)  # fmt: skip
def test_the_start_page_shows_the_fee_in_tenge_and_mci_and_who_pays_less(client, lang, words):
    html = _get(client, reverse("service-detail", kwargs={"code": "kz.passport"}), lang)
    flat = html.replace(NBSP, " ")
    for word in words:
        assert word.replace(NBSP, " ") in flat, (lang, word)


def test_a_fee_in_mci_with_a_fraction_of_a_tenge_reads_exactly(client):
    html = _get(client, reverse("service-detail", kwargs={"code": "kz.driving-licence"}), "ru")
    assert f"5{NBSP}406,25{NBSP}₸ (1,25 МРП)" in html


def test_a_free_service_shows_no_fee_section(client):
    html = _get(client, reverse("service-detail", kwargs={"code": "kz.address-certificate"}), "en")
    assert "Paying the fee" not in html and "data-fee>" not in html


def _check_page(client, user, code: str, fields: dict[str, str], lang: str) -> str:
    client.force_login(user)
    client.cookies["django_language"] = lang
    url = reverse("apply", kwargs={"code": code})
    form = {"intent": "check", "idempotency_key": str(uuid.uuid4()), **fields}
    response = client.post(url, form)
    assert response.status_code == 302 and "/apply/check/" in response["Location"]
    return _get(client, response["Location"], lang)


@pytest.mark.parametrize(
    ("lang", "exemption", "pay"),
    [
        ("en", "Pensioner by age (men from 63, women from 61)", "0 ₸"),
        ("ru", "Пенсионер по возрасту (мужчины с 63 лет, женщины с 61 года)", f"0{NBSP}₸"),
        ("kk", "Жасы бойынша зейнеткер (ер адам 63 жастан, әйел адам 61 жастан)", f"0{NBSP}₸"),
    ],
)
def test_check_your_answers_shows_an_exempt_pensioner_pays_nothing(client, lang, exemption, pay):
    me = citizen(birth_date=dt.date(1957, 2, 1), sex="M")
    html = _check_page(client, me, "kz.passport", PASSPORT_FIELDS, lang)
    full = html.split("data-fee-full>")[1].split("</dd>")[0]
    assert full.startswith(f"17,300{NBSP}₸" if lang == "en" else f"17{NBSP}300{NBSP}₸")
    assert exemption in html.split("data-fee-exemption>")[1].split("</dd>")[0]
    assert html.split("data-fee-pay><strong>")[1].startswith(pay.replace(" ", NBSP))


def test_check_your_answers_shows_the_full_fee_without_an_exemption(client):
    me = citizen(birth_date=dt.date(1990, 2, 1), sex="F")
    html = _check_page(client, me, "kz.passport", PASSPORT_FIELDS, "en")
    assert "17,300 ₸ (4 MCI)" in html.replace(NBSP, " ")
    assert "data-fee-exemption" not in html
    assert "the time for the decision starts on the day you pay" in html


def test_check_your_answers_of_a_free_service_says_nothing_about_a_fee(client):
    html = _check_page(client, citizen(), "kz.address-certificate", {"purpose": "bank"}, "en")
    assert "data-fee" not in html and "Fee for this service" not in html


def test_the_application_page_says_payment_due_with_the_link_to_pay(client):
    me = citizen(birth_date=dt.date(1990, 2, 1))
    client.force_login(me)
    client.cookies["django_language"] = "en"
    url = reverse("apply", kwargs={"code": "kz.passport"})
    form = {"intent": "submit", "idempotency_key": str(uuid.uuid4()), **PASSPORT_FIELDS}
    response = texted(lambda: client.post(url, form))
    sign = response["Location"]
    if "/apply/check/" in sign:
        sign = texted(lambda: client.post(sign, {}))["Location"]
    done = client.post(sign, {"code": sms_code(me)})["Location"]
    client.get(done)
    application = Application.objects.get(applicant=me)
    assert application.state == Application.AWAITING_PAYMENT
    pay_url = f"/my/payments/{application.payment_public_id}/"
    for page in ("my-application", "my-application-submitted"):
        html = _get(client, reverse(page, args=[application.pk]), "en")
        line = html.split("data-payment-due>")[1].split("</p>")[0]
        assert "Payment due: <strong>17,300 ₸</strong> — pay by" in line.replace(NBSP, " ")
        assert f'href="{pay_url}"' in line
    ru = _get(client, reverse("my-application", args=[application.pk]), "ru")
    assert f"К оплате: <strong>17{NBSP}300{NBSP}₸</strong>" in ru
    assert "Ожидается оплата" in ru
