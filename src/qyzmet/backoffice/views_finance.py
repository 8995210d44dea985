"""The finance desk (/backoffice/finance/): payments with filters and keyset pages, one payment
with everything that happened to it, refunds and their four-eyes queue, bank statements (upload,
every line's outcome, the lines a person settles), the daily reconciliation, a CSV export and
revenue charts.

Who: finance officers see their agencies' payments and refunds; treasurers and staff every agency's,
and they alone the bank statements and the reconciliation, which hold every agency's money (see
`payments.finance.desk_scope`); anyone else signed in gets "Access denied". Object-level rules stay
in the services (a refund is asked for and approved only by a finance officer of the payment's
agency, never approved by the person who asked), and the pages show them as they are — a button that
would be refused is not offered; the reason is said instead."""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.backoffice import finance_words as words
from qyzmet.backoffice.finance_charts import month_label, revenue_png, top_series
from qyzmet.backoffice.guards import area_required
from qyzmet.catalog.selectors import service_search
from qyzmet.core.problem import Problem
from qyzmet.identity.selectors import organisation_names, user_get
from qyzmet.payments import camt053, finance, permissions, services, statements
from qyzmet.ui.titles import current_lang

PAGE_SIZE = 25
REASON_MAX = 2000

finance_required = area_required(lambda user: finance.desk_scope(user=user), pass_admitted=True)


# --- helpers --------------------------------------------------------------------------------


def _agency_names(codes) -> dict[str, str]:
    lang = current_lang()
    return {code: names.get(lang) or names.get("en") or ""
            for code, names in organisation_names(codes=set(codes)).items()}  # fmt: skip


def _agency(names: dict[str, str], code: str) -> str:
    return names.get(code) or _("An agency not in the directory")


def _service_names() -> dict[str, str]:
    lang = current_lang()
    return {s.code: s.title(lang) for s in service_search(any_kind=True)}


def _person_names(ids) -> dict[int, str]:
    """Names of the officers on a page (a handful: one read each)."""
    names = {}
    for pk in {i for i in ids if i}:
        try:
            user = user_get(user_id=pk)
        except Problem:
            continue
        names[pk] = user.full_name or _("An officer")
    return names


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(request: HttpRequest, scope: finance.DeskScope) -> finance.PaymentFilters:
    """The filters from the query string; a value that is not one of the choices is dropped
    (an agency outside the person's scope finds nothing rather than erroring)."""
    get = request.GET
    state = get.get("state", "")
    return finance.PaymentFilters(
        state=state if state in words.PAYMENT_STATES else "",
        agency=(get.get("agency") or "")[:60],
        service=(get.get("service") or "")[:100],
        provider=(get.get("provider") or "")[:30],
        created_from=_date(get.get("from")),
        created_to=_date(get.get("to")),
        q=(get.get("q") or "").strip()[:80],
    )


def _nav(request: HttpRequest, scope: finance.DeskScope) -> list[dict[str, str]]:
    items = [
        {"url": reverse("bo-finance"), "title": _("Payments")},
        {"url": reverse("bo-finance-refunds"), "title": _("Refunds")},
    ]
    if scope.platform:
        items += [
            {"url": reverse("bo-finance-statements"), "title": _("Bank statements")},
            {"url": reverse("bo-finance-reconciliation"), "title": _("Reconciliation")},
        ]
    items.append({"url": reverse("bo-finance-revenue"), "title": _("Revenue")})
    return items


def _render(request: HttpRequest, scope: finance.DeskScope, template: str,
            context: dict[str, Any], status: int = 200) -> HttpResponse:  # fmt: skip
    context = {"nav": _nav(request, scope), "scope": scope, **context}
    return render(request, f"backoffice/finance/{template}", context, status=status)


def _payment_row(p: finance.PaymentRow, agencies: dict[str, str], lang: str) -> dict[str, Any]:
    return {
        "public_id": p.public_id,
        "reference": p.reference,
        "agency": _agency(agencies, p.agency_code),
        "service": p.describe(lang),
        "amount": words.money(p.amount, p.currency),
        "paid": words.money(p.amount_paid, p.currency) if p.amount_paid else "",
        "refunded": words.money(p.amount_refunded, p.currency) if p.amount_refunded else "",
        "state": words.word(words.PAYMENT_STATES, p.state),
        "provider": words.provider_word(p.paid_via),
        "created_at": p.created_at,
        "paid_at": p.paid_at,
    }


# --- payments -------------------------------------------------------------------------------


@require_GET
@finance_required
def payments(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    filters = _filters(request, scope)
    cursor = request.GET.get("cursor") or None
    try:
        page = finance.payments_search(scope=scope, filters=filters, cursor=cursor,
                                       limit=PAGE_SIZE)  # fmt: skip
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    choices = finance.filter_choices(scope=scope)
    agencies = _agency_names(choices["agencies"])
    service_names = _service_names()
    lang = current_lang()
    query = filters.query()
    return _render(request, scope, "payments.html", {
        "rows": [_payment_row(p, agencies, lang) for p in page.items],
        "filters": filters,
        "states": [(k, str(v)) for k, v in words.PAYMENT_STATES.items()],
        "agencies": [(c, _agency(agencies, c)) for c in choices["agencies"]],
        "services": [(c, service_names.get(c) or _("A service no longer offered"))
                     for c in choices["services"]],
        "providers": [(c, words.provider_word(c)) for c in choices["providers"]],
        "next_url": "?" + urlencode({**query, "cursor": page.next_cursor})
        if page.next_cursor else "",
        "is_first_page": cursor is None,
        "export_url": reverse("bo-finance-export") + ("?" + urlencode(query) if query else ""),
        "awaiting": finance.refunds_awaiting_count(scope=scope),
        "open_lines": len(finance.statement_lines_open(limit=1000)) if scope.platform else 0,
        "failed_webhooks": finance.webhooks_failed_count(scope=scope),
    })


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet never runs as a formula: text starting with = + - @ (or a tab or
    carriage return) is prefixed with an apostrophe (OWASP's advice for CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _decimal(tiyn: int) -> str:
    whole, part = divmod(int(tiyn), 100)
    return f"{whole}.{part:02d}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[finance.PaymentRow], agencies: dict[str, str],
               lang: str) -> Iterator[str]:  # fmt: skip
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([
        _("Invoice number"), _("Payment id"), _("Agency"), _("Service"), _("State"),
        _("Amount due"), _("Paid"), _("Refunded"), _("Currency"), _("Paid by"), _("Created"),
        _("Paid on"),
    ])  # fmt: skip
    for p in rows:
        yield writer.writerow([csv_cell(v) for v in (
            p.reference, p.public_id, _agency(agencies, p.agency_code), p.describe(lang),
            words.word(words.PAYMENT_STATES, p.state), _decimal(p.amount),
            _decimal(p.amount_paid), _decimal(p.amount_refunded), p.currency,
            words.provider_word(p.paid_via),
            timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M"),
            timezone.localtime(p.paid_at).strftime("%Y-%m-%d %H:%M") if p.paid_at else "",
        )])  # fmt: skip


@require_GET
@finance_required
def export(request: HttpRequest, scope: finance.DeskScope) -> StreamingHttpResponse:
    """The filtered payments as CSV (UTF-8 with a byte-order mark, so spreadsheets read the
    Kazakh and Russian names), streamed row by row."""
    filters = _filters(request, scope)
    choices = finance.filter_choices(scope=scope)
    agencies = _agency_names(choices["agencies"])
    rows = finance.payments_export(scope=scope, filters=filters)
    response = StreamingHttpResponse(_csv_lines(rows, agencies, current_lang()),
                                     content_type="text/csv; charset=utf-8")  # fmt: skip
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="payments-{stamp}.csv"'
    return response


@require_GET
@finance_required
def payment(request: HttpRequest, scope: finance.DeskScope, public_id: uuid.UUID) -> HttpResponse:
    detail = finance.payment_detail(scope=scope, public_id=public_id)
    return _payment_page(request, scope, detail)


def _payment_page(
    request: HttpRequest, scope: finance.DeskScope, detail: finance.PaymentDetail,
    *, errors: list[str] | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    p = detail.payment
    lang = current_lang()
    agencies = _agency_names([p.agency_code])
    people = _person_names([r.requested_by_id for r in p.refunds]
                           + [r.approved_by_id for r in p.refunds])  # fmt: skip
    may_refund = permissions.user_may(user=request.user, permission=permissions.REFUND,
                                      agency_code=p.agency_code)  # fmt: skip
    refunds = [_refund_dict(r, p.currency, people, request.user) for r in p.refunds]
    return _render(request, scope, "payment.html", {
        "p": p,
        "agency": _agency(agencies, p.agency_code),
        "service": p.describe(lang),
        "state": words.word(words.PAYMENT_STATES, p.state),
        "amount": words.money(p.amount, p.currency),
        "before": words.money(p.amount_before_exemption, p.currency)
        if p.amount_before_exemption else "",
        "exemption": (p.exemption.get("label") or {}).get(lang, "") if p.exemption else "",
        "paid": words.money(p.amount_paid, p.currency),
        "refunded": words.money(p.amount_refunded, p.currency),
        "refundable": p.refundable,
        "refundable_text": words.money(p.refundable, p.currency),
        "refundable_major": _decimal(p.refundable),
        "provider": words.provider_word(p.paid_via),
        "attempts": [{
            "provider": words.provider_word(a.provider),
            "state": words.word(words.ATTEMPT_STATES, a.state),
            "amount": words.money(a.amount, a.currency),
            "created_at": a.created_at, "finished_at": a.finished_at,
        } for a in p.attempts],
        "webhooks": [{
            "provider": words.provider_word(w.provider),
            "state": words.word(words.WEBHOOK_STATES, w.state),
            "received_at": w.received_at, "event_id": w.event_id,
        } for w in detail.webhooks],
        "lines": [_line_dict(line) for line in detail.lines],
        "refunds": refunds,
        "application_number": f"QZ-{detail.application_id:08d}" if detail.application_id else "",
        "may_refund": may_refund and p.refundable > 0,
        "refund_key": uuid.uuid4().hex,
        "threshold": words.money(services.four_eyes_threshold(), p.currency),
        "errors": errors or [],
        "reason": request.POST.get("reason", "") if request.method == "POST" else "",
    }, status=status)


def _line_dict(line: finance.LineRow) -> dict[str, Any]:
    return {
        "id": line.id, "statement_id": line.statement_id, "booked_on": line.booked_on,
        "amount": words.money(line.amount, line.currency), "reference_text": line.reference_text,
        "state": words.word(words.LINE_STATES, line.state), "note": line.note,
        "open": line.state in statements.OPEN_STATES,
        "payment_reference": line.payment_reference,
        "payment_public_id": line.payment_public_id,
    }  # fmt: skip


def _refund_dict(r, currency: str, people: dict[int, str], user) -> dict[str, Any]:
    mine = r.requested_by_id is not None and r.requested_by_id == user.pk
    return {
        "public_id": r.public_id,
        "amount": words.money(r.amount, currency),
        "kind": words.word(words.REFUND_KINDS, r.kind),
        "state": words.word(words.REFUND_STATES, r.state),
        "awaiting": r.state == "awaiting_approval",
        "reason": r.reason if r.kind == "fee" else words.word(words.REFUND_KINDS, r.kind),
        "requested_by": people.get(r.requested_by_id)
        if r.requested_by_id else _("The platform's rule"),
        "decided_by": people.get(r.approved_by_id, ""),
        "note": r.decision_note,
        "created_at": r.created_at,
        "finished_at": r.finished_at,
        "mine": mine,
    }


def _tiyn(text: str) -> int | None:
    """'1 500,50' or '1500.5' tenge as tiyn; None when it is not an amount."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    whole, _sep, part = cleaned.partition(".")
    if not whole.isdigit() or (part and (not part.isdigit() or len(part) > 2)):
        return None
    return int(whole) * 100 + int((part or "0").ljust(2, "0"))


@require_POST
@finance_required
def refund_request(request: HttpRequest, scope: finance.DeskScope,
                   public_id: uuid.UUID) -> HttpResponse:  # fmt: skip
    detail = finance.payment_detail(scope=scope, public_id=public_id)
    p = detail.payment
    full = request.POST.get("scope") != "part"
    amount = p.refundable if full else _tiyn(request.POST.get("amount", ""))
    reason = (request.POST.get("reason") or "").strip()[:REASON_MAX]
    errors = []
    if amount is None or amount <= 0:
        errors.append(_("Enter the amount to refund in tenge, e.g. 1500 or 1500,50."))
    if not reason:
        errors.append(_("Say why the money is refunded (the citizen reads it)."))
    if errors or amount is None:  # no amount has its error
        return _payment_page(request, scope, detail, errors=errors, status=400)
    try:
        refund = services.refund_request(
            actor=request.user, payment_public_id=p.public_id, amount=amount, reason=reason,
            idempotency_key=f"desk:{(request.POST.get('key') or uuid.uuid4().hex)[:60]}",
        )
    except Problem as problem:
        if problem.status in (403, 404):
            raise
        return _payment_page(request, scope, detail, errors=[_problem_words(problem)], status=400)
    if refund.state == "awaiting_approval":
        messages.success(request, _("The refund waits for a second officer's approval."))
    else:
        messages.success(request, _("The refund was sent."))
    return redirect("bo-finance-payment", public_id=p.public_id)


def _problem_words(problem: Problem) -> str:
    """A service's refusal in the reader's words (the codes the desk can meet)."""
    known = {
        "refund_above_paid": _("A refund cannot be more than was paid and not yet refunded "
                               "(including refunds under way)."),
        "refund_not_allowed": _("Nothing can be refunded on this payment in its present state."),
        "refund_not_awaiting_approval": _("This refund was already decided."),
        "refund_four_eyes": _("You asked for this refund, so another officer must approve it."),
        "idempotency_key_reused": _("This form was already sent with other values; "
                                    "open the page again."),
    }
    if problem.code in known:
        return known[problem.code]
    if problem.errors:
        return "; ".join(e.detail for e in problem.errors)
    return problem.detail or problem.title


# --- refunds --------------------------------------------------------------------------------


@require_GET
@finance_required
def refunds(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    state = request.GET.get("state", "awaiting_approval")
    if state not in words.REFUND_STATES and state != "all":
        state = "awaiting_approval"
    cursor = request.GET.get("cursor") or None
    try:
        page = finance.refunds_list(scope=scope, state="" if state == "all" else state,
                                    cursor=cursor, limit=PAGE_SIZE)  # fmt: skip
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    people = _person_names([r.refund.requested_by_id for r in page.items]
                           + [r.refund.approved_by_id for r in page.items])  # fmt: skip
    agencies = _agency_names({r.agency_code for r in page.items})
    rows = []
    for row in page.items:
        item = _refund_dict(row.refund, row.currency, people, request.user)
        item.update({
            "payment_public_id": row.payment_public_id, "reference": row.payment_reference,
            "agency": _agency(agencies, row.agency_code),
            "may_decide": permissions.user_may(user=request.user,
                                               permission=permissions.APPROVE_REFUND,
                                               agency_code=row.agency_code),
        })  # fmt: skip
        rows.append(item)
    return _render(request, scope, "refunds.html", {
        "rows": rows,
        "state": state,
        "states": [("all", _("All refunds"))] + [(k, str(v)) for k, v in
                                                 words.REFUND_STATES.items()],
        "next_url": "?" + urlencode({"state": state, "cursor": page.next_cursor})
        if page.next_cursor else "",
        "is_first_page": cursor is None,
    })


@require_POST
@finance_required
def refund_decide(request: HttpRequest, scope: finance.DeskScope,
                  public_id: uuid.UUID) -> HttpResponse:  # fmt: skip
    row = finance.refund_for_desk(scope=scope, refund_public_id=public_id)
    decision = request.POST.get("decision")
    note = (request.POST.get("note") or "").strip()[:REASON_MAX]
    try:
        if decision == "approve":
            services.refund_approve(actor=request.user, refund_public_id=row.refund.public_id)
            messages.success(request, _("Approved: the refund was sent."))
        elif decision == "reject":
            services.refund_reject(actor=request.user, refund_public_id=row.refund.public_id,
                                   note=note)  # fmt: skip
            messages.success(request, _("Rejected: the refund will not be made."))
        else:
            return HttpResponseBadRequest(_("Choose to approve or to reject."))
    except Problem as problem:
        if problem.code == "refund_four_eyes":
            messages.error(request, _problem_words(problem))
            return redirect("bo-finance-refunds")
        if problem.status in (403, 404):
            raise
        messages.error(request, _problem_words(problem) if problem.code != "validation_failed"
                       else _("Say why the refund is rejected."))  # fmt: skip
    return redirect("bo-finance-refunds")


# --- bank statements ------------------------------------------------------------------------


def _platform(scope: finance.DeskScope) -> None:
    if not scope.platform:
        raise Problem(403, "forbidden", "Forbidden")


def _statements_page(
    request: HttpRequest, scope: finance.DeskScope, *,
    errors: list[str] | None = None, status: int = 200,
) -> HttpResponse:  # fmt: skip
    cursor = request.GET.get("cursor") or None
    try:
        page = finance.statements_list(cursor=cursor, limit=PAGE_SIZE)
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    return _render(request, scope, "statements.html", {
        "rows": page.items,
        "errors": errors or [],
        "limit_mb": camt053.MAX_BYTES // (1024 * 1024),
        "open_count": len(finance.statement_lines_open(limit=1000)),
        "next_url": "?" + urlencode({"cursor": page.next_cursor}) if page.next_cursor else "",
        "is_first_page": cursor is None,
    }, status=status)


@require_GET
@finance_required
def statements_index(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    _platform(scope)
    return _statements_page(request, scope)


@require_POST
@finance_required
def statement_upload(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    _platform(scope)
    if not scope.may_import:
        raise Problem(403, "forbidden", "Forbidden")
    upload = request.FILES.get("file")
    if upload is None:
        return _statements_page(request, scope, status=400,
                                errors=[_("Choose the statement file to upload.")])  # fmt: skip
    if (upload.size or 0) > camt053.MAX_BYTES:  # an uploaded file always has its size
        return _statements_page(request, scope, status=413, errors=[
            _("The file is %(size)s bytes; a statement file may be at most %(limit)s bytes.")
            % {"size": upload.size, "limit": camt053.MAX_BYTES}])  # fmt: skip
    try:
        result = statements.statement_import(
            actor=request.user, filename=upload.name or "",
            content=upload.read(camt053.MAX_BYTES + 1),
        )  # fmt: skip
    except camt053.StatementInvalid as invalid:
        return _statements_page(request, scope, status=422,
                                errors=[str(p) for p in invalid.problems])  # fmt: skip
    messages.success(request, result.summary)
    return redirect("bo-finance-statement", statement_id=result.statement_id)


@require_GET
@finance_required
def statement(request: HttpRequest, scope: finance.DeskScope, statement_id: int) -> HttpResponse:
    _platform(scope)
    row, lines = finance.statement_get(statement_id=statement_id)
    return _render(request, scope, "statement.html", {
        "s": row, "lines": [_line_dict(line) for line in lines],
        "imported_by": (
            _person_names([row.imported_by_id]).get(row.imported_by_id, "")
            if row.imported_by_id is not None else ""
        ),
    })


@require_GET
@finance_required
def lines_open(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    _platform(scope)
    return _render(request, scope, "lines.html", {
        "lines": [_line_dict(line) for line in finance.statement_lines_open()],
    })


@require_http_methods(["GET", "POST"])
@finance_required
def line(request: HttpRequest, scope: finance.DeskScope, line_id: int) -> HttpResponse:
    _platform(scope)
    row = finance.statement_line_get(line_id=line_id)
    errors: list[str] = []
    if request.method == "POST":
        if not scope.may_import:
            raise Problem(403, "forbidden", "Forbidden")
        reference = (request.POST.get("reference") or "").strip()
        how = request.POST.get("how")
        try:
            statements.statement_line_resolve(
                actor=request.user, line_id=line_id,
                payment_reference=reference if how == "match" else None,
                note=request.POST.get("note") or "",
            )  # fmt: skip
        except Problem as problem:
            if problem.status == 404:
                raise
            errors = [e.detail for e in problem.errors] or [problem.detail or problem.title]
        else:
            messages.success(request, _("The line is settled."))
            return redirect("bo-finance-lines")
    return _render(request, scope, "line.html", {
        "line": _line_dict(row), "raw": row, "errors": errors,
        "note": request.POST.get("note", ""), "reference": request.POST.get("reference", ""),
        "how": request.POST.get("how", "note"),
    }, status=400 if errors else 200)


# --- reconciliation -------------------------------------------------------------------------


def _run_dict(run: finance.RunView) -> dict[str, Any]:
    providers = []
    for code, figures in sorted(run.summary.items()):
        if not isinstance(figures, dict):
            continue
        providers.append({
            "name": words.provider_word(code),
            "unavailable": bool(figures.get("unavailable")),
            "provider_count": figures.get("provider_count", 0),
            "provider_sum": words.money(figures.get("provider_sum", 0)),
            "platform_count": figures.get("platform_count", 0),
            "platform_sum": words.money(figures.get("platform_sum", 0)),
            "refunds_count": figures.get("refunds_count", 0),
            "refunds_sum": words.money(figures.get("refunds_sum", 0)),
        })  # fmt: skip
    return {
        "day": run.day, "ran_at": run.ran_at, "providers": providers,
        "findings": [words.finding_sentence(m) for m in run.mismatches],
        "count": len(run.mismatches),
    }  # fmt: skip


@require_GET
@finance_required
def reconciliation(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    _platform(scope)
    runs = finance.reconciliation_runs()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return _render(request, scope, "reconciliation.html", {
        "runs": [_run_dict(r) for r in runs],
        "yesterday": yesterday,
        "beat": next((_run_dict(r) for r in runs if r.day == yesterday), None),
    })


@require_GET
@finance_required
def reconciliation_day(request: HttpRequest, scope: finance.DeskScope,
                       day: str) -> HttpResponse:  # fmt: skip
    _platform(scope)
    when = _date(day)
    if when is None:
        raise Http404
    run = finance.reconciliation_get(day=when)
    return _render(request, scope, "reconciliation_day.html", {
        "day": when, "run": _run_dict(run) if run else None,
    })


@require_POST
@finance_required
def reconcile_now(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    _platform(scope)
    day = _date(request.POST.get("day")) or timezone.localdate() - dt.timedelta(days=1)
    if day > timezone.localdate():
        return HttpResponseBadRequest(_("A day in the future cannot be reconciled."))
    run = services.reconcile_day(day=day)
    messages.success(request, _("Reconciled: %(count)s finding(s) to look at.")
                     % {"count": len(run.mismatches)})  # fmt: skip
    return redirect("bo-finance-reconciliation-day", day=day.isoformat())


# --- revenue --------------------------------------------------------------------------------


def _revenue(scope: finance.DeskScope, by: str) -> tuple[finance.Revenue, dict[str, str]]:
    revenue = finance.revenue_by_month(scope=scope, by=by)
    names = _agency_names(revenue.series) if by == "agency" else _service_names()
    fallback = _("An agency not in the directory") if by == "agency" else _(
        "A service no longer offered")
    return revenue, {k: names.get(k) or fallback for k in revenue.series}


@require_GET
@finance_required
def revenue(request: HttpRequest, scope: finance.DeskScope) -> HttpResponse:
    tables = []
    for by, title in (("agency", _("Net fees received per agency")),
                      ("service", _("Net fees received per service"))):  # fmt: skip
        data, names = _revenue(scope, by)
        series = top_series(data, names)
        top = max((max(v) for _l, v in series if v), default=0)
        tables.append({
            "by": by, "title": title, "months": [month_label(m) for m in data.months],
            "rows": [{"name": label, "values": [words.money(v) for v in values],
                      "total": words.money(sum(values))} for label, values in series],
            "alt": _("%(title)s over the last %(n)s months; the largest monthly figure is "
                     "%(top)s. The same figures are in the table below.")
            % {"title": title, "n": len(data.months), "top": words.money(top)},
        })  # fmt: skip
    return _render(request, scope, "revenue.html", {"tables": tables})


@require_GET
@finance_required
def revenue_chart(request: HttpRequest, scope: finance.DeskScope, by: str) -> HttpResponse:
    if by not in ("agency", "service"):
        raise Http404
    data, names = _revenue(scope, by)
    title = _("Net fees received per agency") if by == "agency" else _(
        "Net fees received per service")
    response = HttpResponse(revenue_png(data, names, title=title), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response
