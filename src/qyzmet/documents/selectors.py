"""Reading result documents, including the one view strangers get: verification.

An anonymous verifier holds the QR code, so they may see what is printed on the paper and
nothing more: never the owner's IIN, the source it came from, or the body of other records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.utils import timezone

from qyzmet.core.problem import not_found

from .models import Document


@dataclass(frozen=True)
class VerificationDTO:
    """What the public verification page and API show about a document."""

    public_id: str
    number: str
    title: dict[str, str]
    issuer_code: str
    issuer_name: dict[str, str]
    language: str
    issued_at: dt.datetime
    valid_until: dt.date | None
    status: str  # "valid" | "expired" | "annulled"
    annulled_at: dt.datetime | None
    annul_reason: str
    sha256: str
    printed_fields: dict[str, str]


def document_for_source(*, source_ref: str) -> Document | None:
    return Document.objects.filter(source_ref=source_ref).first()


def document_by_public_id(*, public_id: str) -> Document:
    """The document, or `not_found("document")`."""
    document = Document.objects.filter(public_id=public_id).first()
    if document is None:
        raise not_found("document")
    return document


def document_status(*, document: Document, today: dt.date | None = None) -> str:
    """Annulled wins over expired: an annulled document must never read merely 'expired'."""
    if document.status == Document.Status.ANNULLED:
        return "annulled"
    today = today or timezone.localdate()
    if document.valid_until is not None and document.valid_until < today:
        return "expired"
    return "valid"


def document_verification(*, public_id: str) -> VerificationDTO:
    document = (
        Document.objects.defer("pdf", "body_text", "owner_iin", "source_ref")
        .filter(public_id=public_id)
        .first()
    )
    if document is None:
        raise not_found("document")
    return VerificationDTO(
        public_id=document.public_id,
        number=document.number or "",
        title=dict(document.title),
        issuer_code=document.issuer_code,
        issuer_name=dict(document.issuer_name),
        language=document.language,
        issued_at=document.issued_at,
        valid_until=document.valid_until,
        status=document_status(document=document),
        annulled_at=document.annulled_at,
        annul_reason=document.annul_reason,
        sha256=document.sha256,
        printed_fields=dict(document.printed_fields),
    )


def document_pdf(*, public_id: str) -> bytes:
    """The issued PDF bytes. The caller checks that the requester owns the document."""
    row = Document.objects.filter(public_id=public_id).values_list("pdf", flat=True).first()
    if row is None:
        raise not_found("document")
    return bytes(row)


def document_check_bytes(*, public_id: str, pdf_bytes: bytes) -> bool:
    """True when an uploaded copy is byte-for-byte the document that was issued."""
    expected = Document.objects.filter(public_id=public_id).values_list("sha256", flat=True).first()
    if expected is None:
        raise not_found("document")
    return hmac.compare_digest(hashlib.sha256(pdf_bytes).hexdigest(), expected)
