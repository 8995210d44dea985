"""A year whose monthly calculation index is not on the platform yet (1 January before the
budget law's value is added): fees in MCI are never guessed, and nothing fails with a 500.
The start page and the service list say the fee cannot be shown yet and why; check-your-answers
says so instead of offering to sign; a submission needing a quote is refused with a 503
problem+json (API) or the same words on the page (portal), and nothing is submitted."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from qyzmet.applications.models import Application
from tests.portal.factories import catalog_loaded, citizen

pytestmark = pytest.mark.django_db

PASSPORT = "kz.passport"
PASSPORT_DATA = {
    "reason": "expired",
    "collection_office": "Алматы, Бостандық ауданының ХҚКО",
    "personal_attendance": True,
}


@pytest.fixture(autouse=True)
def no_index_this_year(settings, tmp_path):
    """The country pack's table without this year (as on 1 January before it is added)."""
    catalog_loaded()
    path = tmp_path / "mci.yaml"
    path.write_text("currency: KZT\nvalues:\n  2020: 2778\n", encoding="utf-8")
    settings.QYZMET_MCI_FILE = path
    return timezone.localdate().year


def _get(client, url: str, lang: str = "en") -> str:
    client.cookies["django_language"] = lang
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode().replace("\u00a0", " ")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", "The fee cannot be shown yet: it is 4 MCI, and the monthly calculation index for"),
        ("ru", "Размер пошлины пока нельзя показать: она составляет 4 МРП, а месячный расчётный "
               "показатель на"),
        ("kk", "Баж мөлшерін әзірге көрсету мүмкін емес: ол 4 АЕК, ал"),
    ],
)  # fmt: skip
def test_the_start_page_says_the_fee_cannot_be_shown_yet_and_why(client, no_index_this_year,
                                                                 lang, words):  # fmt: skip
    html = _get(client, reverse("service-detail", kwargs={"code": PASSPORT}), lang)
    notice = html.split(f'data-fee-unknown="{no_index_this_year}">')[1].split("</p>")[0]
    assert notice.startswith(words) and str(no_index_this_year) in notice
    assert "₸" not in html.split("data-fee-amount>")[1].split("</dd>")[0]


def test_the_service_list_and_a_fixed_fee_still_show(client, no_index_this_year):
    html = _get(client, reverse("service-detail", kwargs={"code": "kz.address-certificate"}))
    assert "data-fee-unknown" not in html
    listing = _get(client, "/services/?q=passport")
    assert f"Fee for {no_index_this_year} not known yet" in listing


def test_the_catalogue_api_gives_no_amount_rather_than_failing(client):
    response = client.get(f"/api/v1/catalog/services/{PASSPORT}")
    assert response.status_code == 200
    assert response.json()["fee"] == {"amount": None, "currency": "KZT"}
    free = client.get("/api/v1/catalog/services/kz.address-certificate").json()
    assert free["fee"]["amount"] == 0


def test_an_api_submission_needing_a_quote_is_503_naming_the_cause(client, no_index_this_year):
    me = citizen()
    client.force_login(me)
    signing = client.post("/api/v1/applications/sign",
                          {"service_code": PASSPORT, "data": PASSPORT_DATA},
                          content_type="application/json",
                          headers={"Accept-Language": "en"})  # fmt: skip
    response = client.post(
        "/api/v1/applications",
        {"service_code": PASSPORT, "data": PASSPORT_DATA, "language": "en"},
        content_type="application/json",
        headers={"Idempotency-Key": "no-index-1", "Accept-Language": "en"},
    )  # fmt: skip
    for refused in (signing, response):
        assert refused.status_code == 503, refused.content
        assert refused["Content-Type"] == "application/problem+json"
        body = refused.json()
        assert body["code"] == "fee_unavailable"
        assert f"monthly calculation index for {no_index_this_year}" in body["detail"]
    assert not Application.objects.filter(applicant=me).exists()
    # A free service is not held up.
    free = client.post(
        "/api/v1/applications",
        {"service_code": "kz.address-certificate", "data": {"purpose": "bank"}},
        content_type="application/json", headers={"Idempotency-Key": "no-index-2"},
    )  # fmt: skip
    assert free.status_code == 201, free.content


def test_the_portal_says_so_on_check_your_answers_and_refuses_to_sign(client, no_index_this_year):
    me = citizen()
    client.force_login(me)
    client.cookies["django_language"] = "en"
    url = reverse("apply", kwargs={"code": PASSPORT})
    fields = {**PASSPORT_DATA, "personal_attendance": "on"}
    moved = client.post(url, {"intent": "check", "idempotency_key": str(uuid.uuid4()), **fields})
    assert moved.status_code == 302
    html = _get(client, moved["Location"])
    assert f'data-fee-unknown="{no_index_this_year}"' in html
    assert "Confirm and sign" not in html
    # Signing anyway (a stale page, a second tab): a plain message, no code texted.
    refused = client.post(moved["Location"])
    assert refused.status_code == 503
    text = refused.content.decode()
    assert "The fee for this service cannot be calculated yet" in text
    assert str(no_index_this_year) in text
    assert not Application.objects.filter(applicant=me).exists()
