"""Result PDFs sealed as PAdES B-T: checked by pyHanko's validator and poppler's pdfsig, and
every way a copy can go wrong is named on the verification page and in our verdicts."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.generic import TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from qyzmet.documents.selectors import document_signature_check
from qyzmet.documents.services import document_annul
from qyzmet.signatures.authority import ca_row
from qyzmet.signatures.models import Certificate
from qyzmet.signatures.selectors import pdf_signature_verify
from qyzmet.signatures.services import certificate_revoke, pdf_seal
from tests.documents.factories import document_issued

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(pki):
    return document_issued()


def test_the_issued_pdf_is_pades_with_a_timestamp_pyhanko_accepts(sealed):
    pdf = bytes(sealed.pdf)
    assert sealed.signed_at is not None
    reader = PdfFileReader(io.BytesIO(pdf))
    (embedded,) = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    root = asn1_x509.Certificate.load(bytes(ca_row("root").der))
    context = ValidationContext(trust_roots=[root], allow_fetching=False)
    status = asyncio.run(async_validate_pdf_signature(embedded, context))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert embedded.signer_cert.subject.native["common_name"]  # the agency's seal
    # The QR code to the verification page is still on the page.
    assert b"/Image" in pdf or b"/XObject" in pdf


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig absent")
def test_pdfsig_finds_a_valid_signature_over_the_whole_file(sealed, tmp_path):
    path = tmp_path / "result.pdf"
    path.write_bytes(bytes(sealed.pdf))
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=30).stdout
    assert "Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out


def test_the_verification_check_is_ok_for_the_issued_pdf(sealed):
    check = document_signature_check(public_id=sealed.public_id)
    assert (check.signature, check.certificate_status) == ("ok", "good")
    assert check.timestamp is not None


def _tampered(pdf: bytes) -> bytes:
    """Change one character of page content inside the signed byte range."""
    index = pdf.index(b"stream") + 40
    return pdf[:index] + bytes([pdf[index] ^ 0x01]) + pdf[index + 1 :]


def test_a_tampered_pdf_fails_and_says_so(sealed):
    verdict = pdf_signature_verify(pdf_bytes=_tampered(bytes(sealed.pdf)))
    assert (verdict.valid, verdict.reason) == (False, "bytes_differ")
    assert "changed" in verdict.message


def test_an_update_appended_after_sealing_is_named(sealed):
    writer = IncrementalPdfFileWriter(io.BytesIO(bytes(sealed.pdf)))
    writer.root["/Lang"] = TextStringObject("ru")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    verdict = pdf_signature_verify(pdf_bytes=out.getvalue())
    assert (verdict.valid, verdict.reason) == (False, "modified_after_signing")


def test_an_unsigned_or_broken_pdf_is_named(pki):
    from tests.portal.factories import PDF_BYTES

    assert pdf_signature_verify(pdf_bytes=PDF_BYTES).reason in ("unsigned", "broken_structure")
    assert pdf_signature_verify(pdf_bytes=b"not a pdf").reason == "broken_structure"


def test_revoking_the_seal_shows_at_once(sealed):
    seal = Certificate.objects.get(kind="seal", organisation_code=sealed.issuer_code)
    certificate_revoke(actor=None, serial=seal.serial, reason="key_compromise")
    check = document_signature_check(public_id=sealed.public_id)
    assert (check.signature, check.certificate_status) == ("revoked", "revoked")
    assert check.certificate_revoked_at is not None
    # The next result of that agency is sealed with a fresh certificate.
    assert pdf_signature_verify(
        pdf_bytes=pdf_seal(pdf_bytes=_blank(), organisation_code=sealed.issuer_code)
    ).valid


def _blank() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 72, "blank")
    page.save()
    return buffer.getvalue()


def test_the_verification_page_says_what_is_wrong_in_words(sealed, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/verify/{sealed.public_id}/")
    html = page.content.decode()
    assert 'data-seal="ok"' in html and 'data-certificate="good"' in html
    tampered = io.BytesIO(_tampered(bytes(sealed.pdf)))
    tampered.name = "copy.pdf"
    page = client.post(f"/verify/{sealed.public_id}/", {"copy": tampered})
    html = page.content.decode()
    assert 'data-check="mismatch"' in html
    assert 'data-seal="bytes_differ"' in html
    assert "changed after signing" in html
    document_annul(actor=None, public_id=sealed.public_id, reason="ошибка")
    assert 'data-status="annulled"' in client.get(f"/verify/{sealed.public_id}/").content.decode()


def test_the_reasons_read_in_kazakh_and_russian(sealed, client, settings):
    tampered = io.BytesIO(_tampered(bytes(sealed.pdf)))
    tampered.name = "copy.pdf"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    html = client.post(f"/verify/{sealed.public_id}/", {"copy": tampered}).content.decode()
    assert "қол қойылғаннан кейін өзгертілген" in html
    assert "Электрондық мөр" in html
    tampered.seek(0)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = client.post(f"/verify/{sealed.public_id}/", {"copy": tampered}).content.decode()
    assert "его изменили после подписания" in html
    assert "Электронная печать" in html


def test_the_transparency_log_is_checked(pki, django_capture_on_commit_callbacks):
    from qyzmet.documents.models import Document
    from qyzmet.transparency.services import tree_head_current

    unlogged = document_issued()  # its event was never delivered: no log entry
    assert document_signature_check(public_id=unlogged.public_id).log == "not_included"
    with django_capture_on_commit_callbacks(execute=True):
        document = document_issued()
    assert document_signature_check(public_id=document.public_id).log == "appended"
    tree_head_current()
    check = document_signature_check(public_id=document.public_id)
    assert (check.log, check.valid) == ("included", True)
    # Our own stored hash altered behind the log's back: the log disagrees, and says so.
    Document.objects.filter(pk=document.pk).update(sha256="0" * 64)
    check = document_signature_check(public_id=document.public_id)
    assert (check.log, check.valid) == ("mismatch", False)
