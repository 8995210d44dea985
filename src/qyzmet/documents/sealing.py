"""The seam where the issuing agency's electronic seal (PAdES) will be applied to a PDF.

Nothing is signed yet. `document_issue` calls `pdf_seal_hook` after rendering and before
hashing, so that the SHA-256 stored and shown on the verification page is always the hash of
the exact bytes the citizen downloads. When the signatures app can sign, this function will
call its service (e.g. `signatures.services.pdf_sign(pdf_bytes=..., key_owner=issuer_code)`),
return the signed bytes, and `document_issue` will set `Document.signed_at`.
"""

from __future__ import annotations


def pdf_seal_hook(*, pdf_bytes: bytes, issuer_code: str) -> bytes:
    """Return the PDF as it should be stored. Today: unchanged, because no agency key exists
    yet. This is deliberately not a fake signature — an unsigned PDF must look unsigned."""
    return pdf_bytes
