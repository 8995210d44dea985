"""Public document verification: anyone holding a document's QR code can check it."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from qyzmet.documents.selectors import document_verification

router = Router(tags=["documents"])


class LocalisedText(Schema):
    kk: str = ""
    ru: str = ""
    en: str = ""


class VerificationOut(Schema):
    public_id: str
    number: str
    title: LocalisedText
    issuer_code: str
    issuer_name: LocalisedText
    language: str
    issued_at: dt.datetime
    valid_until: dt.date | None
    status: str
    annulled_at: dt.datetime | None
    annul_reason: str
    sha256: str
    printed_fields: dict[str, str]


@router.get(
    "/verify/{public_id}",
    response=VerificationOut,
    auth=None,
    summary="Verify a document",
    description=(
        "What was issued, by whom, when, until when, and whether it is valid, expired or "
        "annulled — only what is printed on the document. Unknown ids answer 404."
    ),
)
def verify(request: HttpRequest, public_id: str) -> VerificationOut:
    dto = document_verification(public_id=public_id)
    return VerificationOut(**dto.__dict__)
