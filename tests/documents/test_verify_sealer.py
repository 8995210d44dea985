"""The verification page says who sealed the document by the agency's full name from the
catalogue, in the reader's language — not the seal certificate's X.509 subject, whose names are
bounded at 64 characters and read "Common Name: …, Organizational Unit: BIN…"."""

from __future__ import annotations

import re

import pytest

from qyzmet.documents.selectors import document_signature_check
from qyzmet.identity.services import organisation_upsert
from tests.identity.factories import next_bin

from .factories import document_issued

pytestmark = pytest.mark.django_db

# Longer than the X.509 upper bound of 64 characters in every language.
NAMES = {
    "kk": "Қазақстан Республикасы Ішкі істер министрлігінің Көші-қон қызметі комитеті "
    "және азаматтарды тіркеу басқармасы",
    "ru": "Комитет миграционной службы Министерства внутренних дел Республики Казахстан "
    "и управление регистрации граждан",
    "en": "Migration Service Committee of the Ministry of Internal Affairs of the Republic "
    "of Kazakhstan and the Citizens' Registration Office",
}


@pytest.fixture
def agency():
    bin_ = next_bin()
    organisation_upsert(code="kz-mvd-migration-test", bin=bin_, names=NAMES)
    return bin_


def _sealed_by(html: str) -> str:
    match = re.search(r"<dd data-sealer>(.*?)</dd>", html, re.S)
    assert match, "no 'Sealed by' on the page"
    return " ".join(match.group(1).split())


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_page_names_the_sealing_agency_in_full_in_the_readers_language(client, agency, lang):
    document = document_issued(issuer_code="kz-mvd-migration-test", language="ru")
    response = client.get(f"/verify/{document.public_id}/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    sealed_by = _sealed_by(response.content.decode())
    assert sealed_by.startswith(NAMES[lang].replace("'", "&#x27;"))
    assert agency in sealed_by  # with the BIN
    for raw in ("Common Name", "Organizational Unit", "…", "kz-mvd-migration-test"):
        assert raw not in sealed_by


def test_an_uploaded_copy_sealed_by_the_issuer_names_it_too(client, agency):
    document = document_issued(issuer_code="kz-mvd-migration-test")
    copy = bytes(document.pdf)
    check = document_signature_check(public_id=document.public_id, pdf_bytes=copy)
    assert check.signer_names == NAMES


def test_a_seal_without_the_issuers_bin_does_not_borrow_its_name(agency):
    """A copy sealed by another agency (here: a document of an issuer with another BIN) shows
    that seal's own subject, never the issuer's catalogue name."""
    other = document_issued(issuer_code="kz-other-agency-test")  # not in the catalogue: no BIN
    document = document_issued(issuer_code="kz-mvd-migration-test")
    check = document_signature_check(public_id=document.public_id, pdf_bytes=bytes(other.pdf))
    assert check.signature == "ok"  # a valid seal, only not the issuer's
    assert check.signer_names == {}
    assert check.signer_name == check.signer
    assert NAMES["ru"] not in check.signer_name
