"""Reading payments for the finance desk (the back office and `/api/v1/payments`): who sees
which agencies' money, the payments list with its filters and keyset pages, one payment with
everything that happened to it, refunds, bank statements, reconciliation runs and revenue by
month. Writes stay in `services.py` and `statements.py`; this module only reads.

Scope. A finance officer (`permissions.FINANCE_ROLE`) sees the payments and refunds of the
agencies where they hold that role, and nothing else; a platform treasurer (`TREASURY_ROLE` in
any organisation) or staff sees every agency's. Bank statements and the reconciliation are of
the platform's one account, holding every agency's money, so they are the treasury's alone
(`permissions.user_is_treasury`): it imports statements, settles their lines and reads the
reconciliation; an agency's finance officer does none of it.

Everything returned is a frozen dataclass or plain values, never a model: a page or the API
cannot save a payment behind the services' back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from qyzmet.core.pagination import Page, cursor_encode, cursor_key, cursor_read, page_limit
from qyzmet.core.problem import not_found
from qyzmet.identity.selectors import user_roles

from . import permissions, statements
from .models import (
    BankStatement,
    Payment,
    PaymentAttempt,
    ProviderWebhook,
    ReconciliationRun,
    Refund,
    StatementLine,
)
from .selectors import PaymentView, RefundView, _refund_view, payment_view

# Platform-wide: sees every agency's payments (and the platform's statements) but, holding no
# role in an agency, neither asks for nor approves that agency's refunds.
TREASURY_ROLE = permissions.TREASURY_ROLE
# Who works at an agency's finance desk: its finance officers.
DESK_ROLES = frozenset({permissions.FINANCE_ROLE})
MAX_EXPORT_ROWS = 200_000
# The states, for the API's description of its fields (delivery never reads the models).
PAYMENT_STATES = Payment.STATES
REFUND_STATES = Refund.STATES
LINE_STATES = StatementLine.STATES


# --- who sees what --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DeskScope:
    """What one person may read at the finance desk."""

    agencies: frozenset[str] | None  # None: every agency (platform-wide)
    platform: bool  # the platform's account: bank statements and reconciliation
    may_import: bool  # may upload statements and resolve their lines

    def covers(self, agency_code: str) -> bool:
        return self.agencies is None or agency_code in self.agencies

    @property
    def platform_wide(self) -> bool:
        return self.agencies is None


def desk_scope(*, user: Any) -> DeskScope | None:
    """The person's scope at the finance desk, or None when they have no place there."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    roles = user_roles(user=user)
    treasurer = statements.user_may_import_statements(user=user)
    own = frozenset(code for code, held in roles.items() if held & DESK_ROLES)
    if not (treasurer or own):
        return None
    return DeskScope(agencies=None if treasurer else own, platform=treasurer, may_import=treasurer)


def _scoped(qs: QuerySet, scope: DeskScope, field: str = "agency_code") -> QuerySet:
    if scope.agencies is None:
        return qs
    return qs.filter(**{f"{field}__in": sorted(scope.agencies)})


# --- the payments list ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PaymentFilters:
    """The desk's filters; empty values filter nothing. Dates are of creation (the list's
    order), inclusive, in the platform's time zone."""

    state: str = ""
    agency: str = ""
    service: str = ""
    provider: str = ""  # the provider that was paid through (`paid_via`)
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    q: str = ""  # an invoice number, an application number (QZ-00000042) or a public id

    def query(self) -> dict[str, str]:
        """The filters as query-string values (for the next page's and the export's links)."""
        values = {
            "state": self.state, "agency": self.agency, "service": self.service,
            "provider": self.provider, "q": self.q,
            "from": self.created_from.isoformat() if self.created_from else "",
            "to": self.created_to.isoformat() if self.created_to else "",
        }  # fmt: skip
        return {k: v for k, v in values.items() if v}


@dataclasses.dataclass(frozen=True)
class PaymentRow:
    id: int
    public_id: str
    reference: str
    source_ref: str
    agency_code: str
    service_code: str
    description: dict[str, str]
    amount: int
    currency: str
    state: str
    amount_paid: int
    amount_refunded: int
    paid_via: str
    created_at: dt.datetime
    paid_at: dt.datetime | None

    def describe(self, language: str) -> str:
        return self.description.get(language) or self.description.get("en") or self.service_code


ROW_FIELDS = tuple(f.name for f in dataclasses.fields(PaymentRow))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min),
                               timezone.get_default_timezone())  # fmt: skip


def _search(q: str) -> Q | None:
    """What the reference box matches: an invoice number (spaces and dashes a person typed
    ignored), an application number, or a payment's public id."""
    text = q.strip()
    if not text:
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    upper = text.upper().replace(" ", "")
    if upper.startswith("QZ-") and upper[3:].isdigit():
        return Q(source_ref=f"application:{int(upper[3:])}")
    try:
        return Q(public_id=uuid.UUID(text))
    except ValueError:
        pass
    if digits and len(digits) == len("".join(text.replace("-", "").split())):
        return Q(reference=digits)
    return Q(reference=text)  # matches nothing a person could not have typed exactly


def _filtered(scope: DeskScope, filters: PaymentFilters) -> QuerySet[Payment]:
    qs = _scoped(Payment.objects.all(), scope)
    if filters.agency:
        qs = qs.filter(agency_code=filters.agency)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.service:
        qs = qs.filter(service_code=filters.service)
    if filters.provider:
        qs = qs.filter(paid_via=filters.provider)
    if filters.created_from:
        qs = qs.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=_day_start(filters.created_to + dt.timedelta(days=1)))
    found = _search(filters.q)
    if found is not None:
        qs = qs.filter(found)
    return qs


def _row(values: dict[str, Any]) -> PaymentRow:
    return PaymentRow(**{k: values[k] for k in ROW_FIELDS} | {
        "public_id": str(values["public_id"]), "description": dict(values["description"] or {}),
    })  # fmt: skip


def payments_search(
    *, scope: DeskScope, filters: PaymentFilters, cursor: str | None = None, limit: int = 25
) -> Page:
    """One page of payments, newest first, keyset-paginated on (created_at, id) — the index
    `payment_agency_idx` / `payment_recent_idx` — so a deep page costs what the first does.
    One query."""
    limit = page_limit(limit, default=25)
    qs = _filtered(scope, filters)
    if cursor:
        position = cursor_read(cursor, at=dt.datetime.fromisoformat, id=cursor_key)
        at = position["at"]
        qs = qs.filter(created_at__lte=at).filter(Q(created_at__lt=at) | Q(id__lt=position["id"]))
    rows = [_row(v) for v in qs.order_by("-created_at", "-id").values(*ROW_FIELDS)[: limit + 1]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = cursor_encode({"at": last.created_at.isoformat(), "id": last.id})
    return Page(rows[:limit], next_cursor)


def payments_export(*, scope: DeskScope, filters: PaymentFilters) -> Iterator[PaymentRow]:
    """Every payment the filters match, newest first, read in chunks (the CSV export streams
    them; nothing holds the whole list in memory). At most `MAX_EXPORT_ROWS`."""
    qs = _filtered(scope, filters).order_by("-created_at", "-id").values(*ROW_FIELDS)
    for values in qs[:MAX_EXPORT_ROWS].iterator(chunk_size=2000):
        yield _row(values)


def filter_choices(*, scope: DeskScope) -> dict[str, list[str]]:
    """The agencies, services and providers that occur in the person's payments (the filter
    lists offer nothing that would find nothing)."""
    qs = _scoped(Payment.objects.all(), scope)
    return {
        "agencies": sorted(qs.values_list("agency_code", flat=True).distinct().order_by()),
        "services": sorted(qs.values_list("service_code", flat=True).distinct().order_by()),
        "providers": sorted(
            v for v in qs.values_list("paid_via", flat=True).distinct().order_by() if v
        ),
    }


# --- one payment ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WebhookRow:
    id: int
    provider: str
    event_id: str
    state: str
    error: str
    received_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class LineRow:
    id: int
    statement_id: int
    statement_filename: str
    line_ref: str
    booked_on: dt.date
    amount: int
    currency: str
    reference_text: str
    state: str
    note: str
    payment_reference: str
    payment_public_id: str
    resolved_by_id: int | None
    resolved_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class PaymentDetail:
    payment: PaymentView
    webhooks: tuple[WebhookRow, ...]
    lines: tuple[LineRow, ...]

    @property
    def application_id(self) -> int | None:
        kind, _sep, rest = self.payment.source_ref.partition(":")
        return int(rest) if kind == "application" and rest.isdigit() else None


def _line_row(line: StatementLine) -> LineRow:
    return LineRow(
        id=line.pk, statement_id=line.statement_id,
        statement_filename=line.statement.filename, line_ref=line.line_ref,
        booked_on=line.booked_on, amount=line.amount, currency=line.currency,
        reference_text=line.reference_text, state=line.state, note=line.note,
        payment_reference=line.payment.reference if line.payment is not None else "",
        payment_public_id=str(line.payment.public_id) if line.payment is not None else "",
        resolved_by_id=line.resolved_by_id, resolved_at=line.resolved_at,
    )  # fmt: skip


def _webhooks_of(payment: PaymentView) -> tuple[WebhookRow, ...]:
    """The provider's notices about one payment: those applied to one of its attempts (the
    inbox row names the attempt), and those received and not applied yet (or failed), found by
    the charge reference the verified webhook named. Index look-ups; no scan of the inbox."""
    refs = [(a.provider, a.provider_ref) for a in _attempt_refs(payment.id) if a.provider_ref]
    if not refs:
        return ()
    waiting = Q()
    for provider, ref in refs:
        waiting |= Q(provider=provider, provider_ref=ref)
    hooks = ProviderWebhook.objects.filter(
        Q(attempt__payment_id=payment.id)
        | (Q(attempt__isnull=True, state__in=WEBHOOK_UNAPPLIED) & waiting)
    ).order_by("received_at", "id")
    return tuple(
        WebhookRow(*values)
        for values in hooks.values_list(
            "id", "provider", "event_id", "state", "error", "received_at"
        )
    )


# Notices not applied to an attempt yet: waiting for a worker, or given up on.
WEBHOOK_UNAPPLIED = (ProviderWebhook.RECEIVED, ProviderWebhook.FAILED)


def webhooks_failed_count(*, scope: DeskScope) -> int:
    """Provider notices whose apply failed for good (a person looks; the poll and the daily
    reconciliation still settle their charges). The platform's, so for its finance people."""
    if not scope.platform:
        return 0
    return ProviderWebhook.objects.filter(state=ProviderWebhook.FAILED).count()


@dataclasses.dataclass(frozen=True)
class _AttemptRef:
    provider: str
    provider_ref: str


def _attempt_refs(payment_id: int) -> list[_AttemptRef]:
    return [
        _AttemptRef(p, r)
        for p, r in PaymentAttempt.objects.filter(payment_id=payment_id).values_list(
            "provider", "provider_ref"
        )
    ]


def payment_detail(*, scope: DeskScope, public_id: uuid.UUID | str) -> PaymentDetail:
    """One payment with its attempts, refunds, the webhooks received about it and the bank
    statement lines that name it; 404 problem outside the person's scope (not told apart from
    absent)."""
    try:
        key = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(str(public_id))
    except ValueError:
        raise not_found("payment") from None
    payment = _scoped(Payment.objects.filter(public_id=key), scope).first()
    if payment is None:
        raise not_found("payment")
    view = payment_view(payment)
    lines = (
        StatementLine.objects.filter(payment=payment)
        .select_related("statement", "payment").order_by("booked_on", "id")
    )  # fmt: skip
    return PaymentDetail(view, _webhooks_of(view), tuple(_line_row(line) for line in lines))


# --- refunds --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RefundRow:
    refund: RefundView
    payment_public_id: str
    payment_reference: str
    agency_code: str
    service_code: str
    currency: str


def refunds_list(
    *, scope: DeskScope, state: str = "", cursor: str | None = None, limit: int = 25
) -> Page:
    """Refunds of the person's agencies, newest first (keyset on id); `state` narrows it (the
    four-eyes queue is `Refund.AWAITING_APPROVAL`). One query."""
    limit = page_limit(limit, default=25)
    qs = _scoped(Refund.objects.select_related("payment"), scope, "payment__agency_code")
    if state:
        qs = qs.filter(state=state)
    if cursor:
        qs = qs.filter(id__lt=cursor_read(cursor, id=cursor_key)["id"])
    refunds = list(qs.order_by("-id")[: limit + 1])
    rows = [
        RefundRow(_refund_view(r), str(r.payment.public_id), r.payment.reference,
                  r.payment.agency_code, r.payment.service_code, r.payment.currency)
        for r in refunds[:limit]
    ]  # fmt: skip
    more = len(refunds) > limit
    return Page(rows, cursor_encode({"id": rows[-1].refund.id}) if more else None)


def refund_for_desk(*, scope: DeskScope, refund_public_id: uuid.UUID | str) -> RefundRow:
    try:
        key = uuid.UUID(str(refund_public_id))
    except ValueError:
        raise not_found("refund") from None
    qs = _scoped(Refund.objects.select_related("payment").filter(public_id=key), scope,
                 "payment__agency_code")  # fmt: skip
    r = qs.first()
    if r is None:
        raise not_found("refund")
    return RefundRow(_refund_view(r), str(r.payment.public_id), r.payment.reference,
                     r.payment.agency_code, r.payment.service_code, r.payment.currency)  # fmt: skip


def refunds_awaiting_count(*, scope: DeskScope) -> int:
    qs = _scoped(Refund.objects.filter(state=Refund.AWAITING_APPROVAL), scope,
                 "payment__agency_code")  # fmt: skip
    return qs.count()


# --- bank statements ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class StatementRow:
    id: int
    filename: str
    message_id: str
    statement_id: str
    account_iban: str
    created_on: dt.datetime | None
    imported_at: dt.datetime
    imported_by_id: int | None
    lines: int
    open: int  # lines waiting for a person
    matched: int


def _statement_rows(qs: QuerySet[BankStatement]) -> list[StatementRow]:
    values = qs.annotate(
        n_lines=Count("lines"),
        n_open=Count("lines", filter=Q(lines__state__in=statements.OPEN_STATES)),
        n_matched=Count("lines", filter=Q(lines__state=StatementLine.MATCHED)),
    ).values(
        "id", "filename", "message_id", "statement_id", "account_iban", "created_on",
        "imported_at", "imported_by_id", "n_lines", "n_open", "n_matched",
    )  # fmt: skip
    return [
        StatementRow(v["id"], v["filename"], v["message_id"], v["statement_id"],
                     v["account_iban"], v["created_on"], v["imported_at"], v["imported_by_id"],
                     v["n_lines"], v["n_open"], v["n_matched"])
        for v in values
    ]  # fmt: skip


def statements_list(*, cursor: str | None = None, limit: int = 25) -> Page:
    """Imported statements, newest first (keyset on id), with their lines counted."""
    limit = page_limit(limit, default=25)
    qs = BankStatement.objects.all()
    if cursor:
        qs = qs.filter(id__lt=cursor_read(cursor, id=cursor_key)["id"])
    rows = _statement_rows(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, cursor_encode({"id": rows[-1].id}) if more else None)


def statement_get(*, statement_id: int) -> tuple[StatementRow, tuple[LineRow, ...]]:
    """One statement and every line with its outcome (in the file's order)."""
    rows = _statement_rows(BankStatement.objects.filter(pk=statement_id))
    if not rows:
        raise not_found("bank statement")
    lines = (
        StatementLine.objects.filter(statement_id=statement_id)
        .select_related("statement", "payment").order_by("id")
    )  # fmt: skip
    return rows[0], tuple(_line_row(line) for line in lines)


def statement_lines_open(*, limit: int = 200) -> list[LineRow]:
    """The lines a person must settle (unmatched, mismatched, duplicate), oldest first."""
    lines = (
        StatementLine.objects.filter(state__in=statements.OPEN_STATES)
        .select_related("statement", "payment").order_by("booked_on", "id")[:limit]
    )  # fmt: skip
    return [_line_row(line) for line in lines]


def statement_line_get(*, line_id: int) -> LineRow:
    line = StatementLine.objects.select_related("statement", "payment").filter(pk=line_id).first()
    if line is None:
        raise not_found("statement line")
    return _line_row(line)


# --- reconciliation -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class RunView:
    day: dt.date
    ran_at: dt.datetime
    summary: dict[str, Any]
    mismatches: tuple[dict[str, Any], ...]


def _run(run: ReconciliationRun) -> RunView:
    return RunView(run.day, run.ran_at, dict(run.summary or {}), tuple(run.mismatches or ()))


def reconciliation_runs(*, limit: int = 31) -> list[RunView]:
    """The latest runs, newest day first (the beat runs yesterday's every hour)."""
    return [_run(r) for r in ReconciliationRun.objects.order_by("-day")[:limit]]


def reconciliation_get(*, day: dt.date) -> RunView | None:
    run = ReconciliationRun.objects.filter(day=day).first()
    return _run(run) if run is not None else None


# --- revenue --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Revenue:
    """Money received per month (by the day paid, in tiyn), per agency or per service: fees
    paid, less what was refunded of them. `months` oldest first; `series` key -> one value per
    month; `currency` is the only one counted (KZT)."""

    months: tuple[dt.date, ...]
    series: dict[str, tuple[int, ...]]
    refunded: dict[str, tuple[int, ...]]
    currency: str

    def total(self, key: str) -> int:
        return sum(self.series.get(key, ()))


def _months_back(today: dt.date, count: int) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for _i in range(count):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def revenue_by_month(
    *, scope: DeskScope, by: str, months: int = 12, today: dt.date | None = None,
    currency: str = "KZT",
) -> Revenue:  # fmt: skip
    """Net fees received per month over the last `months` months, per `by` ("agency" or
    "service"): one grouped query. A refund counts in the month the fee was paid (the desk's
    question is what each month's fees came to in the end)."""
    field = {"agency": "agency_code", "service": "service_code"}[by]
    today = today or timezone.localdate()
    span = _months_back(today, months)
    qs = _scoped(Payment.objects.filter(paid_at__gte=_day_start(span[0]), currency=currency,
                                        amount_paid__gt=0), scope)  # fmt: skip
    rows = (
        qs.annotate(month=TruncMonth("paid_at", tzinfo=timezone.get_default_timezone()))
        .values(field, "month").annotate(paid=Sum("amount_paid"), refunded=Sum("amount_refunded"))
        .order_by()
    )  # fmt: skip
    index = {m: i for i, m in enumerate(span)}
    net: dict[str, list[int]] = {}
    back: dict[str, list[int]] = {}
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        if month not in index:
            continue
        key = row[field]
        net.setdefault(key, [0] * len(span))[index[month]] += row["paid"] - row["refunded"]
        back.setdefault(key, [0] * len(span))[index[month]] += row["refunded"]
    order = sorted(net, key=lambda k: (-sum(net[k]), k))
    return Revenue(tuple(span), {k: tuple(net[k]) for k in order},
                   {k: tuple(back[k]) for k in order}, currency)  # fmt: skip
