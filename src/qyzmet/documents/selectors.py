"""Reading result documents, including the one view strangers get: verification.

An anonymous verifier holds the QR code, so they may see what is printed on the paper and
nothing more: never the owner's IIN, the source it came from, or the body of other records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import get_language

from qyzmet.core.problem import Problem, not_found
from qyzmet.identity.selectors import organisation_get
from qyzmet.signatures.selectors import certificate_status, pdf_signature_verify

from .models import Document
from .transparency_log import transparency_log


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


@dataclass(frozen=True)
class SignatureCheckDTO:
    """What the verification page and API say about a document's electronic seal, each part as
    a stable code and as words: the PAdES signature (integrity, chain, timestamp), the seal
    certificate's status, and the transparency log."""

    signature: str  # a Verdict reason: "ok", "unsigned", "bytes_differ", "revoked", ...
    signature_message: str
    signer: str
    signer_bin: str
    timestamp: dt.datetime | None
    certificate_status: str  # "good" | "revoked" | "unknown"
    certificate_revoked_at: dt.datetime | None
    # "included": proven against the latest signed tree head; "appended": proven against the
    # current root, not yet in a signed head; "not_included": no entry (yet: the log is written
    # after commit); "mismatch": the log records other bytes; "proof_failed": the proof fails.
    log: str
    # The sealing agency's full name in kk/ru/en from the catalogue, when the seal certificate
    # is one this platform issued to the document's issuer (empty otherwise: then only the
    # certificate's own subject is known).
    signer_names: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.signature == "ok" and self.log not in ("mismatch", "proof_failed")

    @property
    def signer_name(self) -> str:
        """Who sealed, for a person reading in the active language: the agency's name from the
        catalogue, not the X.509 subject (whose names are bounded at 64 characters and read
        "Common Name: …, Organizational Unit: BIN…")."""
        language = (get_language() or "ru")[:2]
        return self.signer_names.get(language) or self.signer_names.get("ru") or self.signer


def document_signature_check(
    *, public_id: str, pdf_bytes: bytes | None = None
) -> SignatureCheckDTO:
    """Check the seal of the issued PDF (or of `pdf_bytes`, an uploaded copy claimed to be it)."""
    if pdf_bytes is None:
        pdf_bytes = document_pdf(public_id=public_id)
    verdict = pdf_signature_verify(pdf_bytes=pdf_bytes)
    status = certificate_status(serial=verdict.certificate_serial or "0")
    certificate = "revoked" if verdict.reason == "ca_revoked" else status.state
    signer_names = (
        _sealer_names(public_id=public_id, signer_bin=verdict.signer_bin)
        if status.state != "unknown"
        else {}
    )
    return SignatureCheckDTO(
        signature=verdict.reason,
        signature_message=verdict.message,
        signer=verdict.signer_subject,
        signer_bin=verdict.signer_bin,
        timestamp=verdict.timestamp_time,
        certificate_status=certificate,
        certificate_revoked_at=verdict.revoked_at or status.revoked_at,
        log=_log_status(public_id=public_id),
        signer_names=signer_names,
    )


def _sealer_names(*, public_id: str, signer_bin: str) -> dict[str, str]:
    """The catalogue names of the document's issuer, when the seal's certificate (one we
    issued) carries that issuer's BIN. The BIN, not the name, is the link: the certificate's
    names may be shortened, and a copy sealed by another agency must not borrow the issuer's
    name. An issuer that is not an organisation row has a seal without a BIN: nothing links it
    to a catalogue entry, so the certificate's subject is all there is to show."""
    issuer_code = (
        Document.objects.filter(public_id=public_id).values_list("issuer_code", flat=True).first()
    )
    if issuer_code is None or not signer_bin:
        return {}
    try:
        organisation = organisation_get(code=issuer_code)
    except Problem:
        return {}
    return dict(organisation.names) if signer_bin == organisation.bin else {}


def _root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to (checked here, independently
    of the log's own code, because this is the verifier's side)."""
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if fn & 1 or fn == sn:
            node = hashlib.sha256(b"\x01" + sibling + node).digest()
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = hashlib.sha256(b"\x01" + node + sibling).digest()
        fn, sn = fn >> 1, sn >> 1
    return node if sn == 0 else b""


def _log_status(*, public_id: str) -> str:
    """Is the issue of this document in the transparency log, with the hash we hold, and does
    its inclusion proof lead to the log's (signed) root?"""
    log = transparency_log()
    expected = Document.objects.filter(public_id=public_id).values_list("sha256", flat=True).first()
    issued = next(
        (e for e in log.document_log_entries(public_id=public_id) if e.kind == "document-issued"),
        None,
    )
    if issued is None:
        return "not_included"
    entry = bytes(issued.entry)
    try:
        recorded = json.loads(entry).get("sha256")
    except ValueError:
        return "mismatch"
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    if recorded != expected or leaf != bytes(issued.leaf_hash):
        return "mismatch"
    head = log.tree_head_latest()
    if head is not None and head.tree_size > issued.index:
        size, root, status = head.tree_size, bytes(head.root_hash), "included"
    else:
        size = log.log_size()
        root, status = log.root_at(tree_size=size), "appended"
    path = log.proof_inclusion(leaf_index=issued.index, tree_size=size)
    return status if _root_from_path(issued.index, size, leaf, path) == root else "proof_failed"
