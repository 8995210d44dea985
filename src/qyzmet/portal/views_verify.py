"""The public verification page a document's QR code points to. Anonymous by design: whoever
holds the paper may check it, and sees only what is printed on it."""

from __future__ import annotations

import hashlib

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from qyzmet.core.formats import date_long, iso_dates_localize
from qyzmet.core.problem import Problem
from qyzmet.documents.selectors import (
    document_check_bytes,
    document_signature_check,
    document_verification,
)

UPLOAD_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


class CopyCheckForm(forms.Form):
    copy = forms.FileField(
        label=_("PDF copy of the document"),
        help_text=_("A PDF file of at most 10 MB. It is compared and not stored."),
        error_messages={"required": _("Choose a PDF file to check.")},
    )

    def clean_copy(self) -> bytes:
        """Judge the file by its bytes, not by the name or type the browser claims."""
        upload = self.cleaned_data["copy"]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        data = upload.read()
        if not data.startswith(PDF_MAGIC):
            raise forms.ValidationError(_("The file is not a PDF: a PDF file starts with “%PDF-”."))
        return data


@require_http_methods(["GET", "POST"])
def document_verify(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        verification = document_verification(public_id=public_id)
    except Problem as problem:
        if problem.status != 404:
            raise
        return render(request, "portal/verify/not_found.html", status=404)

    form = CopyCheckForm()
    check = None
    if request.method == "POST":
        form = CopyCheckForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data["copy"]
            check = {
                "matches": document_check_bytes(public_id=public_id, pdf_bytes=data),
                "sha256": hashlib.sha256(data).hexdigest(),
                # The copy's own seal, judged independently of our stored hash.
                "seal": document_signature_check(public_id=public_id, pdf_bytes=data),
            }

    lang = (get_language() or verification.language)[:2]
    context = {
        "v": verification,
        "title": verification.title.get(lang) or verification.title.get(verification.language),
        "issuer": verification.issuer_name.get(lang)
        or verification.issuer_name.get(verification.language),
        # Dates written as the reader's language writes them; the printed fields as the PDF
        # prints them, in the document's language ("1994 жылғы 15 наурыз", not 1994-03-15).
        "issued_on": date_long(timezone.localtime(verification.issued_at).date(), lang),
        "valid_until": date_long(verification.valid_until, lang)
        if verification.valid_until
        else "",
        "annulled_on": date_long(timezone.localtime(verification.annulled_at).date(), lang)
        if verification.annulled_at
        else "",
        "printed_fields": {
            label: iso_dates_localize(str(value), verification.language)
            for label, value in verification.printed_fields.items()
        },
        "form": form,
        "check": check,
        "seal": document_signature_check(public_id=public_id),
    }
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    return render(request, "portal/verify/document.html", context, status=status)
