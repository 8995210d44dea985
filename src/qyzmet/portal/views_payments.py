"""The citizen's payments (/my/payments/): what is owed and what was paid, the two ways to pay a
fee — by card on the acquirer's hosted page, or by invoice at any bank or public service centre —
the page the card page sends the payer back to, and the signed receipt.

Only the payer sees a payment (anyone else, and a malformed id, gets 404). The pages never
decide anything from what the browser says: the return page asks the provider itself
(`attempt_refresh`) and shows the payment's recorded state, whatever the query string carries.
Starting a card payment carries a one-time key rendered into the form, so a double click or a
resubmitted form finds the same attempt (`attempt_start` is idempotent on it) and can never
charge twice.

The site's Content-Security-Policy allows forms to post to the site only (`form-action 'self'`),
and browsers apply that to the redirect that follows a post as well: the pages holding the card
form add the acquirer's page origin (the card provider's option `page_origin`, else the origin
of its `base_url`), or the browser would refuse to follow the 303 to the card page."""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications.payment_step import application_id_of
from qyzmet.audit.services import Kind, audit_record
from qyzmet.core.formats import date_long
from qyzmet.core.middleware import CSP
from qyzmet.core.problem import Problem
from qyzmet.documents.selectors import document_pdf
from qyzmet.payments import selectors as payment_selectors
from qyzmet.payments import services as payment_services
from qyzmet.payments.selectors import AttemptView, PaymentView
from qyzmet.portal.signed_in import SignedInRequest
from qyzmet.ui.answers import agency_full_name
from qyzmet.ui.payments import failure_words, payment_words
from qyzmet.ui.titles import current_lang

log = logging.getLogger(__name__)

PAGE_SIZE = 20
INVOICE_PROVIDER = "reference"
# The one-time key a payment page renders into its forms (`secrets.token_urlsafe(24)`).
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
# The return page while the bank has not answered: it reloads itself (no JavaScript needed),
# quickly at first, then less often, and stops after `REFRESH_CHECKS` reloads, leaving a
# "check again" link. The payer can also turn the reloading off (WCAG 2.2.1).
REFRESH_FAST_SECONDS = 3
REFRESH_SLOW_SECONDS = 10
REFRESH_FAST_CHECKS = 10
REFRESH_CHECKS = 40


def card_provider() -> str:
    """The card acquirer's plug-in code (`QYZMET_PAYMENT_CARD_PROVIDER`, the sandbox by
    default; production names its acquirer there and in `QYZMET_PAYMENT_PROVIDERS`)."""
    return str(getattr(settings, "QYZMET_PAYMENT_CARD_PROVIDER", "sandbox"))


def _ways() -> dict[str, bool]:
    """The ways to pay this deployment offers: a provider not configured is not offered."""
    configured = payment_services.providers_configured()
    return {"card": card_provider() in configured, "invoice": INVOICE_PROVIDER in configured}


def card_page_origin() -> str:
    """Where the card acquirer's hosted pages are ("" when card payments are not offered)."""
    options = payment_services.providers_configured().get(card_provider()) or {}
    url = str(options.get("page_origin") or options.get("base_url") or "")
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""


def _with_card_form(response: HttpResponse) -> HttpResponse:
    """The site's CSP, letting the card form's post be redirected to the acquirer's page."""
    origin = card_page_origin()
    if origin:
        response["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return response


def _own_payment(request: HttpRequest, public_id: Any) -> PaymentView:
    payment = payment_selectors.payment_by_public_id(public_id=public_id)
    if payment is None or payment.payer_id != request.user.pk:
        raise Http404
    return payment


def _application(request: HttpRequest, payment: PaymentView) -> Any | None:
    """The application the fee is for, when it is one of the payer's own."""
    application_id = application_id_of(payment.source_ref)
    if application_id is None:
        return None
    try:
        return app_selectors.application_get_for_citizen(
            user=request.user, application_id=application_id
        )
    except Problem:
        return None


def _audit_read(request: HttpRequest, payment: PaymentView, what: str) -> None:
    """The payer's own read of their payment (as the other /my/ pages that show what the state
    holds about a person): kept in the audit trail, not on their own data-use page."""
    audit_record(
        actor=request.user,
        kind=Kind.READ,
        action=f"read:payments.{what}",
        object_type="payment",
        object_id=payment.id,
        purpose="showing the payer their payment",
        data={"reference": payment.reference},
    )


def _public_url(path: str) -> str:
    """`path` at the platform's public address (never the request's Host header, which a proxy
    or an attacker may set)."""
    return str(settings.QYZMET_PUBLIC_BASE_URL).rstrip("/") + path


def _return_url(payment: PaymentView) -> str:
    """Where the hosted page sends the payer back."""
    return _public_url(reverse("my-payment-return", kwargs={"public_id": payment.public_id}))


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _form_key(request: HttpRequest) -> str | None:
    key = request.POST.get("key", "")
    return key if FORM_KEY.match(key) else None


def _context(request: HttpRequest, payment: PaymentView) -> dict[str, Any]:
    lang = current_lang()
    application = _application(request, payment)
    return {
        "payment": payment_words(payment, lang),
        "application": application,
        "application_url": reverse("my-application", kwargs={"application_id": application.pk})
        if application is not None
        else "",
        "receipt_url": reverse("my-payment-receipt", kwargs={"public_id": payment.public_id})
        if payment.receipt_document_id
        else "",
        # Written out in full: the payer may give it to whoever asks for the receipt.
        "receipt_verify_url": _public_url(
            reverse("document-verify", kwargs={"public_id": payment.receipt_document_id})
        )
        if payment.receipt_document_id
        else "",
        "ways": _ways(),
        "form_key": secrets.token_urlsafe(24),
    }


@login_required
@require_GET
@never_cache
def my_payments(request: SignedInRequest) -> HttpResponse:
    """My payments, newest first, a page at a time (keyset: `?cursor=`)."""
    try:
        page = payment_selectors.payments_of_payer(
            payer_id=request.user.pk, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
        )
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    lang = current_lang()
    rows = [
        {
            "payment": payment_words(p, lang),
            "url": reverse("my-payment", kwargs={"public_id": p.public_id}),
            "created": date_long(p.created_at.date(), lang),
        }
        for p in page.items
    ]
    return render(
        request,
        "portal/payments/list.html",
        {
            "rows": rows,
            "next_cursor": page.next_cursor,
            "is_first_page": not request.GET.get("cursor"),
        },
    )


@login_required
@require_GET
@never_cache
def my_payment(request: HttpRequest, public_id: Any) -> HttpResponse:
    """One payment: what it is for, the amount (and the exemption), its state, the pay-by time,
    the ways to pay while it is payable; the receipt, the refunds and every try at paying."""
    payment = _own_payment(request, public_id)
    _audit_read(request, payment, "payment")
    return _with_card_form(
        render(request, "portal/payments/detail.html", _context(request, payment))
    )


@login_required
@require_POST
def my_payment_card(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Start (or find again, by the form's key) a card payment and send the payer to the
    acquirer's page (303). Refusals come back to the payment's page with the reason in words."""
    payment = _own_payment(request, public_id)
    back = reverse("my-payment", kwargs={"public_id": payment.public_id})
    key = _form_key(request)
    if key is None:
        return HttpResponseBadRequest(_("The form has expired. Open the payment page again."))
    try:
        attempt = payment_services.attempt_start(
            actor=request.user,
            payment_public_id=payment.public_id,
            provider=card_provider(),
            idempotency_key=f"portal:{payment.public_id}:{key}",
            return_url=_return_url(payment),
        )
    except Problem as problem:
        if problem.status == 404 and problem.code == "not_found":
            raise Http404 from problem
        if problem.code == "payment_attempt_in_progress" and problem.extra.get("next_url"):
            # The payer left an open card page (the back button): that page is the way on.
            return _see_other(str(problem.extra["next_url"]))
        if problem.code == "payment_not_payable":
            messages.info(request, _("This fee can no longer be paid: see its state below."))
        else:
            messages.error(request, _("The card payment could not be started. Nothing was "
                                      "charged. Please try again."))  # fmt: skip
        return redirect(back)
    if attempt.state == "pending" and attempt.next_url:
        return _see_other(attempt.next_url)
    if attempt.state == "failed":
        messages.error(
            request,
            _("Card payments are not available at the moment. Nothing was charged. Please try "
              "again in a few minutes, or pay at a bank with an invoice."),
        )  # fmt: skip
        return redirect(back)
    # The same form sent again after its attempt ended: its outcome is on the return page.
    return redirect("my-payment-return", public_id=payment.public_id)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def my_payment_invoice(request: SignedInRequest, public_id: Any) -> HttpResponse:
    """Pay by invoice: POST records the choice (an attempt of the pay-by-reference provider, so
    the finance desk sees invoices handed out) and comes back here; GET is the printable
    invoice — the number to quote, the account to pay into, and when the payment shows."""
    payment = _own_payment(request, public_id)
    here = reverse("my-payment-invoice", kwargs={"public_id": payment.public_id})
    if not _ways()["invoice"]:
        raise Http404
    if request.method == "POST":
        key = _form_key(request)
        if key is None:
            return HttpResponseBadRequest(_("The form has expired. Open the payment page again."))
        try:
            payment_services.attempt_start(
                actor=request.user,
                payment_public_id=payment.public_id,
                provider=INVOICE_PROVIDER,
                idempotency_key=f"portal:{payment.public_id}:{key}",
                return_url="",
            )
        except Problem as problem:
            if problem.status == 404 and problem.code == "not_found":
                raise Http404 from problem
            # Paid meanwhile, or a card page still open: the payment's page says which.
            return redirect("my-payment", public_id=payment.public_id)
        return redirect(here)
    if not payment.is_payable:
        return redirect("my-payment", public_id=payment.public_id)
    _audit_read(request, payment, "invoice")
    lang = current_lang()
    provider = payment_services.provider_for(INVOICE_PROVIDER)
    bank = provider.instructions(  # type: ignore[attr-defined]
        reference=payment.reference,
        amount=payment.amount,
        currency=payment.currency,
        language=lang,
    )
    context = _context(request, payment)
    context.update({"bank": bank, "payer_name": request.user.full_name, "payer_iin":
                    request.user.iin})  # fmt: skip
    return render(request, "portal/payments/invoice.html", context)


def _hosted_attempt(payment: PaymentView) -> AttemptView | None:
    """The newest attempt on a provider's hosted page (the one the payer comes back from)."""
    return next((a for a in reversed(payment.attempts) if a.next_url), None)


def _outcome(payment: PaymentView, attempt: AttemptView | None) -> str:
    """What the return page tells: paid / double / declined / pending / incomplete / lapsed."""
    if attempt is not None and attempt.state == "refunded":
        return "double"
    if payment.state in ("paid", "refunded", "partially_refunded"):
        return "paid"
    if payment.state in ("expired", "cancelled"):
        return "lapsed"
    if attempt is None:
        return "none"
    if attempt.state == "declined":
        return "declined"
    if attempt.state == "pending":
        return "pending"
    return "incomplete"


def _check_number(request: HttpRequest) -> int:
    try:
        return max(0, min(int(request.GET.get("check", "0")), REFRESH_CHECKS))
    except ValueError:
        return 0


@login_required
@require_GET
@never_cache
def my_payment_return(request: HttpRequest, public_id: Any) -> HttpResponse:
    """Where the card page sends the payer back. The provider is asked once about the attempt
    (a webhook may not have arrived yet) and the page tells what the platform recorded: paid
    (with the receipt and where the application went), declined (nothing charged; try again),
    still waiting (the page reloads itself; safe to leave), or not completed. The query string
    the acquirer adds is never read."""
    payment = _own_payment(request, public_id)
    attempt = _hosted_attempt(payment)
    if attempt is not None and attempt.state == "pending" and payment.is_payable:
        try:
            payment_services.attempt_refresh(attempt_id=attempt.id)
        except Exception:  # the provider unreachable: the attempt stays pending, so does the page
            log.warning("return page: asking about attempt %s failed", attempt.id, exc_info=True)
        payment = _own_payment(request, public_id)
        attempt = next((a for a in payment.attempts if a.id == attempt.id), attempt)
    outcome = _outcome(payment, attempt)
    if outcome == "none":
        return redirect("my-payment", public_id=payment.public_id)
    context = _context(request, payment)
    context["outcome"] = outcome
    context["failure"] = failure_words(attempt.failure_code) if attempt else ""
    lang = current_lang()
    application = context["application"]
    if application is not None:
        context["agency"] = agency_full_name(application.agency_code, lang)
        context["due"] = date_long(application.due_date, lang) if application.due_date else ""
    # Paid, but what follows the payment (the application sent on, the receipt sealed) runs
    # after the payment's commit, possibly in another request (the webhook's) or a worker:
    # the page looks again by itself until it is there.
    following = outcome == "paid" and (
        not payment.receipt_document_id
        or (application is not None and application.state == application.AWAITING_PAYMENT)
    )
    if outcome == "pending" or following:
        check = _check_number(request)
        stopped = request.GET.get("refresh") == "off" or check >= REFRESH_CHECKS
        here = reverse("my-payment-return", kwargs={"public_id": payment.public_id})
        context.update(
            {
                "refresh_seconds": 0 if stopped else (
                    REFRESH_FAST_SECONDS if check < REFRESH_FAST_CHECKS else REFRESH_SLOW_SECONDS
                ),
                "refresh_url": f"{here}?check={check + 1}",
                "stop_url": f"{here}?refresh=off",
                "check_url": here,
            }
        )  # fmt: skip
    return _with_card_form(render(request, "portal/payments/return.html", context))


@login_required
@require_GET
def my_payment_receipt(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The signed receipt (PDF) of a paid fee, for its payer only."""
    payment = _own_payment(request, public_id)
    if not payment.receipt_document_id:
        raise Http404
    try:
        pdf = document_pdf(public_id=payment.receipt_document_id)
    except Problem as exc:
        raise Http404 from exc
    _audit_read(request, payment, "receipt")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
