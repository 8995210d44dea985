""" "Who looked at my data" (/my/data/) in the person's language: after a real application the
purpose, the data read and the organisation are words, never the codes the audit trail keeps."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from qyzmet.audit.usage import personal_data_usage
from qyzmet.catalog.selectors import service_current
from tests.portal.factories import catalog_loaded, citizen, submitted

pytestmark = pytest.mark.django_db

EXPECTED = {
    "kk": ("Өтініміңізді жіберу", "жеке деректер", "Цифрлық даму"),
    "ru": ("Отправка вашего заявления", "личные данные", "Министерство цифрового развития"),
    "en": ("Sending your application", "personal details", "Ministry of Digital Development"),
}  # fmt: skip


@pytest.fixture
def applicant(django_capture_on_commit_callbacks):
    catalog_loaded()
    person = citizen()
    real_gateway = "qyzmet.exchange.provider.gateway_request_verify"
    with override_settings(QYZMET_GATEWAY_VERIFIER=real_gateway), \
            django_capture_on_commit_callbacks(execute=True):
        application = submitted(person)
    return person, application


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_purposes_data_and_organisations_are_words(applicant, lang):
    person, application = applicant
    browser = Client(headers={"Accept-Language": lang})
    browser.force_login(person)
    html = browser.get("/my/data/").content.decode()
    purpose, data, organisation = EXPECTED[lang]
    assert purpose in html  # read while sending it, before it had a number
    assert service_current(code=application.service_code).title(lang) in html
    assert data in html
    assert organisation in html
    entries = personal_data_usage(subject_iin=person.iin).entries
    assert entries
    for entry in entries:
        assert entry.purpose not in html  # the stored English sentence with the service code
        assert entry.client not in html
        assert f": {entry.category}\n" not in html and f": {entry.category}<" not in html
    for code in ("kz.address-certificate", "kz-mcriap", "full_name", "birth_date"):
        assert code not in html, code
