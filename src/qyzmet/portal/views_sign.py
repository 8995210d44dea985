"""The person's side of remote signing, and a public page to check a detached signature.

The confirm page shows what will be signed in words — an application's answers and registry facts
as check-your-answers shows them, a decision as what it does and for which agency — before it asks
for the code. The canonical bytes and their SHA-256 (the hash the SMS names) stay on the page,
inside a "Technical details" disclosure, for anyone who wants to check them."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications.services import DECISION_KIND, SUBMISSION_KIND
from qyzmet.catalog.package import ServicePackage
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names
from qyzmet.portal.signed_in import SignedInRequest
from qyzmet.signatures.selectors import (
    signature_external_verify,
    signature_request_get,
    signed_payload_for_request,
)
from qyzmet.signatures.services import signature_confirm
from qyzmet.ui.answers import decision_view, submission_view
from qyzmet.ui.labels import action_button
from qyzmet.ui.titles import current_lang

UPLOAD_MAX_BYTES = 10 * 1024 * 1024


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        error_messages={"required": _("Type the 6-digit code from the SMS.")},
    )


class VerifyForm(forms.Form):
    document = forms.FileField(
        label=_("The signed file"),
        error_messages={"required": _("Choose the file that was signed.")},
    )
    signature = forms.FileField(
        label=_("The signature (.p7s, .cms, .sig: DER, PEM or base64)"),
        error_messages={"required": _("Choose the signature file.")},
    )

    def _read(self, name: str) -> bytes:
        upload = self.cleaned_data[name]
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload.read()

    def clean_document(self) -> bytes:
        return self._read("document")

    def clean_signature(self) -> bytes:
        return self._read("signature")


def _shown(canonical: bytes) -> str:
    """The canonical JSON, indented for reading. What is signed is the compact form shown by
    its hash; this is only its layout on screen."""
    try:
        return json.dumps(json.loads(canonical), ensure_ascii=False, indent=2, sort_keys=True)
    except ValueError:
        return canonical.decode(errors="replace")


def _decision_case(request: HttpRequest, ref: str) -> tuple[object | None, ServicePackage | None]:
    """The case a decision request was made for (`application:<id>`), as its officer may open
    it, and its package; (None, None) if it is gone or no longer theirs."""
    kind, __, raw_id = ref.partition(":")
    if kind != "application" or not raw_id.isdigit():
        return None, None
    try:
        application = app_selectors.application_get_for_officer(
            user=request.user,
            application_id=int(raw_id),
            purpose=f"signing a decision on application {raw_id}",
        )
    except Problem:
        return None, None
    return application, app_selectors.application_package(application=application)


def _what_is_signed(request: HttpRequest, sig_request) -> dict[str, object]:
    """What the page names as signed, and on whose behalf, in the reader's words: a decision by
    its case number, what it does and the agency's full name; an application by its service's
    title with the answers and facts in words — never a service, action or agency code.
    Anything else keeps the purpose its caller wrote."""
    lang = current_lang()
    purpose = str(sig_request.purpose)
    try:
        payload = json.loads(bytes(sig_request.canonical))
    except ValueError:
        payload = None
    kind = payload.get("kind") if isinstance(payload, dict) else None
    submission = decision = None
    if kind == DECISION_KIND:
        application, package = _decision_case(request, str(sig_request.ref or ""))
        decision = decision_view(payload, application=application, package=package, lang=lang)
        purpose = _("Decision on application %(number)s: %(action)s") % {
            "number": payload.get("application", ""),
            "action": action_button(str(payload.get("action", ""))),
        }
    elif kind == SUBMISSION_KIND:
        submission = submission_view(payload, lang=lang)
        if submission is not None:
            purpose = _("Application for the service “%(service)s”") % {
                "service": submission["title"]
            }
    code = sig_request.organisation_code
    names = organisation_names(codes=[code]).get(code, {}) if code else {}
    return {
        "purpose": purpose,
        "organisation": names.get(lang) or names.get("kk") or "",
        "submission": submission,
        "decision": decision,
    }


def _next(request: HttpRequest) -> str:
    """Where to go once the signature is made: the page that asked for it (an application's
    submission, an officer's decision) passes its return address as `?next=`. Only a path on
    this site is followed, never another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/sign/not_found.html", status=404)


@login_required
@require_http_methods(["GET", "POST"])
def signature_confirm_page(request: SignedInRequest, request_id: str) -> HttpResponse:
    try:
        sig_request = signature_request_get(user_id=request.user.pk, request_id=request_id)
    except Problem:
        return _not_found(request)
    form = CodeForm()
    problem = None
    status = 200
    next_url = _next(request)
    if request.method == "POST" and sig_request.used_at is None:
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                signature_confirm(
                    actor=request.user, request_id=request_id, code=form.cleaned_data["code"]
                )
            except Problem as exc:
                # A throttle (429) or lockout answers its own status and Retry-After.
                problem, status = exc, exc.status if exc.status in (423, 429) else 400
            else:
                if next_url:
                    return redirect(next_url)
            sig_request.refresh_from_db()
        else:
            status = 400
    context = {
        "r": sig_request,
        "what": _what_is_signed(request, sig_request),
        "shown": _shown(bytes(sig_request.canonical)),
        "form": form,
        "problem": problem,
        "signed": signed_payload_for_request(request_id=request_id),
        "next_url": next_url,
    }
    response = render(request, "portal/sign/confirm.html", context, status=status)
    for header, value in (problem.headers if problem else {}).items():
        response[header] = value
    return response


@login_required
@require_GET
def signature_download(request: SignedInRequest, request_id: str) -> HttpResponse:
    try:
        signature_request_get(user_id=request.user.pk, request_id=request_id)
    except Problem:
        return _not_found(request)
    signed = signed_payload_for_request(request_id=request_id)
    if signed is None:
        return _not_found(request)
    response = HttpResponse(bytes(signed.cms_der), content_type="application/pkcs7-signature")
    response["Content-Disposition"] = f'attachment; filename="{request_id}.p7s"'
    return response


@require_http_methods(["GET", "POST"])
def signature_verify(request: HttpRequest) -> HttpResponse:
    """Anyone may check a detached signature; nothing uploaded is stored."""
    form = VerifyForm()
    verdict = None
    status = 200
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            verdict = signature_external_verify(
                payload_bytes=form.cleaned_data["document"],
                cms_der=form.cleaned_data["signature"],
            )
        else:
            status = 400
    return render(
        request, "portal/sign/verify.html", {"form": form, "verdict": verdict}, status=status
    )
