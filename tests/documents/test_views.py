"""The public verification page and API, as an anonymous visitor sees them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from qyzmet.core.formats import date_long
from qyzmet.documents.services import document_annul

from .factories import document_issued

pytestmark = pytest.mark.django_db


def _page(client, document, lang, **kwargs):
    url = reverse("document-verify", kwargs={"public_id": document.public_id})
    assert url == f"/verify/{document.public_id}/"
    return client.get(url, HTTP_ACCEPT_LANGUAGE=lang, **kwargs)


@pytest.mark.parametrize(
    ("lang", "status_word", "title", "label"),
    [
        ("kk", "Жарамды", "Тұрғылықты мекенжай туралы анықтама", "Құжат нөмірі"),
        ("ru", "Действителен", "Справка о месте жительства", "Номер документа"),
        ("en", "Valid", "Certificate of address", "Document number"),
    ],
)
def test_page_shows_status_and_printed_fields_but_no_iin(client, lang, status_word, title, label):
    document = document_issued()
    response = _page(client, document, lang)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'lang="{lang}"' in html
    assert f'data-status="valid">{status_word}<' in html
    assert f"<h1>{title}</h1>" in html
    assert label in html
    assert document.number in html
    assert document.sha256 in html
    assert "Әлиев Ғалым Қайратұлы" in html
    assert document.owner_iin not in html
    assert document.source_ref not in html
    assert "шаһардағы" not in html  # the body text is not one of the printed fields


@pytest.mark.parametrize(
    ("lang", "word", "sentence"),
    [
        ("kk", "Күші жойылды", "күні күші жойылды. Себебі: Қате"),
        ("ru", "Аннулирован", ". Причина: Қате"),
        ("en", "Annulled", "because: Қате"),
    ],
)
def test_page_shows_annulment_with_date_and_reason(client, lang, word, sentence):
    document = document_issued()
    annulled = document_annul(actor=None, public_id=document.public_id, reason="Қате")
    html = _page(client, document, lang).content.decode()
    assert f'data-status="annulled">{word}<' in html
    assert sentence in html
    assert date_long(timezone.localtime(annulled.annulled_at).date(), lang) in html
    assert 'data-status="valid"' not in html


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_page_writes_dates_for_the_reader_and_printed_fields_as_the_pdf_prints_them(client, lang):
    """Issue and expiry dates in the reader's language; a printed ISO date as the (Kazakh)
    document prints it, so the page confirms exactly what the paper says."""
    document = document_issued(printed_fields={"Туған күні": "1994-03-15"}, valid_days=30)
    html = _page(client, document, lang).content.decode()
    assert date_long(timezone.localtime(document.issued_at).date(), lang) in html
    assert date_long(document.valid_until, lang) in html
    assert "1994 жылғы 15 наурыз" in html
    assert "1994-03-15" not in html
    assert document.valid_until.strftime("%d.%m.%Y") not in html


def _upload(client, document, content: bytes, name="copy.pdf", ctype="application/pdf"):
    return client.post(
        f"/verify/{document.public_id}/",
        {"copy": SimpleUploadedFile(name, content, content_type=ctype)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_upload_of_identical_copy_matches(client):
    document = document_issued()
    response = _upload(client, document, bytes(document.pdf))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-check="match"' in html
    assert 'data-check="mismatch"' not in html


def test_upload_of_altered_copy_does_not_match(client):
    document = document_issued()
    altered = bytes(document.pdf).replace(b"KZ-", b"KX-", 1)
    html = _upload(client, document, altered).content.decode()
    assert 'data-check="mismatch"' in html
    assert 'data-check="match"' not in html


def test_upload_of_a_non_pdf_names_the_problem(client):
    document = document_issued()
    # The browser's claimed type is not trusted: the bytes decide.
    response = _upload(client, document, b"\x89PNG\r\n\x1a\nnot a pdf", name="copy.pdf")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The file is not a PDF" in html
    assert 'class="error-summary"' in html
    assert "data-check=" not in html


def test_upload_in_kazakh_names_the_problem_in_kazakh(client):
    document = document_issued()
    response = client.post(
        f"/verify/{document.public_id}/",
        {"copy": SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")},
        HTTP_ACCEPT_LANGUAGE="kk",
    )
    assert response.status_code == 400
    assert "Файл PDF емес" in response.content.decode()


def test_upload_larger_than_10_mb_is_refused(client):
    document = document_issued()
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = _upload(client, document, big)
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()


def test_upload_without_file_asks_for_one(client):
    document = document_issued()
    response = client.post(f"/verify/{document.public_id}/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose a PDF file to check." in response.content.decode()


def test_unknown_id_page_is_404(client):
    response = client.get("/verify/no-such-document/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Document not found" in response.content.decode()
    response = client.post("/verify/no-such-document/", {}, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 404
    assert "Документ не найден" in response.content.decode()


def test_api_verify_returns_the_verification(client):
    document = document_issued()
    response = client.get(f"/api/v1/documents/verify/{document.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "valid"
    assert body["number"] == document.number
    assert body["sha256"] == document.sha256
    assert body["title"]["kk"] == "Тұрғылықты мекенжай туралы анықтама"
    assert body["printed_fields"] == document.printed_fields
    assert "owner_iin" not in body
    assert document.owner_iin not in response.content.decode()

    document_annul(actor=None, public_id=document.public_id, reason="Қате")
    body = client.get(f"/api/v1/documents/verify/{document.public_id}").json()
    assert body["status"] == "annulled"
    assert body["annul_reason"] == "Қате"


def test_api_unknown_id_is_problem_json_404(client):
    response = client.get("/api/v1/documents/verify/no-such-document")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["detail"] == "No such document."
