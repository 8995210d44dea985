"""Issuing renders a real PDF (read back with pypdf), with a QR code to the verification page."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import qrcode
from pypdf import PdfReader

from qyzmet.audit.models import AuditEntry
from qyzmet.core.models import OutboxEvent
from qyzmet.core.problem import Problem
from qyzmet.documents.models import Document
from qyzmet.documents.rendering import QR_ERROR_CORRECTION, verify_url
from qyzmet.documents.selectors import document_for_source, document_pdf

from .factories import document_issued

pytestmark = pytest.mark.django_db


def _qr_image(pdf: bytes):
    """The one raster image on the page: the QR code."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    images = list(page.images)
    assert len(images) == 1
    return images[0].image


def test_issue_renders_a_real_pdf_with_the_embedded_font():
    document = document_issued()
    pdf = bytes(document.pdf)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = {str(f.get_object()["/BaseFont"]) for f in fonts.values()}
    assert any("DejaVuSans" in name for name in base_fonts), base_fonts
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert re.fullmatch(r"KZ-\d{4}-\d{6}", document.number)
    assert document.signed_at is not None  # sealed PAdES B-T by signatures.pdf_seal


def test_pdf_text_layer_has_kazakh_text_labels_number_and_url():
    document = document_issued()
    text = PdfReader(io.BytesIO(bytes(document.pdf))).pages[0].extract_text()
    for expected in (
        "Тұрғылықты мекенжай туралы анықтама",
        "Әлиев Ғалым Қайратұлы",
        "шаһардағы",
        "өтініш",
        "12-үй",
        "Ішкі",
        "Құжат нөмірі",  # the label, translated into Kazakh
        "Жарамдылық мерзімі",
        document.number,
    ):
        assert expected in text, expected
    assert verify_url(public_id=document.public_id) in text.replace("\n", "")


@pytest.mark.parametrize(
    ("language", "label", "title"),
    [
        ("ru", "Номер документа", "Справка о месте жительства"),
        ("en", "Document number", "Certificate of address"),
    ],
)
def test_labels_and_title_follow_the_document_language(language, label, title):
    document = document_issued(language=language)
    text = PdfReader(io.BytesIO(bytes(document.pdf))).pages[0].extract_text()
    assert label in text
    assert title in text
    assert "Құжат нөмірі" not in text


def test_qr_code_modules_are_exactly_the_qr_of_the_verify_url(settings):
    settings.QYZMET_PUBLIC_BASE_URL = "https://qyzmet.example.kz"
    document = document_issued()
    url = verify_url(public_id=document.public_id)
    assert url == f"https://qyzmet.example.kz/verify/{document.public_id}/"

    code = qrcode.QRCode(error_correction=QR_ERROR_CORRECTION, border=4)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the quiet zone

    image = _qr_image(bytes(document.pdf)).convert("L")
    assert image.width == image.height
    box = image.width / len(matrix)
    assert box == int(box)
    box = int(box)
    read = [
        [image.getpixel((x * box + box // 2, y * box + box // 2)) < 128 for x in range(len(matrix))]
        for y in range(len(matrix))
    ]
    assert read == matrix


def test_qr_code_decodes_to_the_verify_url():
    zxingcpp = pytest.importorskip("zxingcpp")
    document = document_issued()
    results = zxingcpp.read_barcodes(_qr_image(bytes(document.pdf)).convert("L"))
    assert [r.text for r in results] == [verify_url(public_id=document.public_id)]


def test_issue_is_idempotent_per_source_ref():
    first = document_issued(source_ref="application:4242")
    again = document_issued(source_ref="application:4242", title={"kk": "x", "ru": "y", "en": "z"})
    assert again.pk == first.pk
    assert again.sha256 == first.sha256
    assert Document.objects.filter(source_ref="application:4242").count() == 1
    assert AuditEntry.objects.filter(action="document.issue", object_id=str(first.pk)).count() == 1
    assert OutboxEvent.objects.filter(topic="document.issued").count() == 1
    assert document_for_source(source_ref="application:4242").pk == first.pk
    assert document_for_source(source_ref="application:0") is None


def test_issue_writes_audit_and_publishes_event():
    document = document_issued()
    entry = AuditEntry.objects.get(action="document.issue")
    assert entry.kind == "change"
    assert entry.subject_iin == document.owner_iin
    event = OutboxEvent.objects.get(topic="document.issued")
    assert event.payload == {
        "document_id": document.pk,
        "public_id": document.public_id,
        "source_ref": document.source_ref,
        "owner_iin": document.owner_iin,
    }


def test_public_ids_are_long_and_distinct():
    ids = {document_issued().public_id for _ in range(5)}
    assert len(ids) == 5
    assert all(len(i) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)


def test_document_pdf_returns_the_stored_bytes():
    document = document_issued()
    assert document_pdf(public_id=document.public_id) == bytes(document.pdf)
    with pytest.raises(Problem) as caught:
        document_pdf(public_id="nope")
    assert caught.value.status == 404


def test_invalid_input_is_refused_with_pointers():
    with pytest.raises(Problem) as caught:
        document_issued(language="de", owner_iin="123", title={"kk": "Анықтама"}, valid_days=0)
    assert caught.value.status == 422
    pointers = {e.pointer for e in caught.value.errors}
    assert {"/language", "/owner_iin", "/title", "/valid_days"} <= pointers
    assert not Document.objects.exists()


def test_no_expiry_when_valid_days_is_none():
    document = document_issued(valid_days=None, language="ru")
    assert document.valid_until is None
    text = PdfReader(io.BytesIO(bytes(document.pdf))).pages[0].extract_text()
    assert "Бессрочно" in text
