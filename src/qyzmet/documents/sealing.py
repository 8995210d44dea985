"""Where the issuing agency's electronic seal (PAdES) is applied to a result PDF.

`document_issue` calls `pdf_seal_hook` after rendering and before hashing, so the SHA-256 stored
and shown on the verification page is the hash of the exact signed bytes the citizen downloads.
The signatures app signs with the agency's seal certificate (created on first use) and adds an
RFC 3161 timestamp from the platform's TSA; see docs/security.md.
"""

from __future__ import annotations

import logging

from qyzmet.signatures.services import PkiNotInitialised, pdf_seal, pki_init

logger = logging.getLogger(__name__)


def pdf_seal_hook(*, pdf_bytes: bytes, issuer_code: str) -> bytes:
    """The PDF sealed by `issuer_code`. A platform whose PKI was never initialised creates it
    here (idempotently) rather than issue results nobody can check."""
    try:
        return pdf_seal(pdf_bytes=pdf_bytes, organisation_code=issuer_code)
    except PkiNotInitialised:
        logger.warning("PKI missing at first document issue: running pki_init")
        pki_init()
        return pdf_seal(pdf_bytes=pdf_bytes, organisation_code=issuer_code)
