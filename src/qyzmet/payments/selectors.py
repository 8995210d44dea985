"""Reading payments. Other apps and the pages get frozen views (`PaymentView`), never models, so
nothing outside this app can save a payment behind the services' back."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Sum

from qyzmet.core.actor import Actor
from qyzmet.core.pagination import Page, cursor_encode, cursor_key, cursor_read, page_limit
from qyzmet.core.problem import not_found

from .models import Payment, PaymentAttempt, ProviderWebhook, Refund


@dataclass(frozen=True)
class AttemptView:
    id: int
    provider: str
    state: str
    amount: int
    currency: str
    failure_code: str
    next_url: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class RefundView:
    id: int
    public_id: str
    kind: str  # Refund.FEE | Refund.DOUBLE (money paid a second time, returned automatically)
    amount: int
    reason: str
    state: str
    requested_by_id: int | None
    approved_by_id: int | None
    decision_note: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class PaymentView:
    """What a page or another app needs to know of one payment."""

    id: int
    public_id: str
    reference: str
    source_ref: str
    payer_id: int
    agency_code: str
    service_code: str
    description: dict[str, str]
    language: str
    amount: int
    currency: str
    amount_before_exemption: int | None
    exemption: dict
    state: str
    amount_paid: int
    amount_refunded: int
    paid_via: str
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None
    receipt_document_id: str
    attempts: tuple[AttemptView, ...]  # oldest first
    refunds: tuple[RefundView, ...]  # oldest first

    @property
    def is_payable(self) -> bool:
        return self.state == Payment.AWAITING

    @property
    def attempts_declined(self) -> int:
        return sum(1 for a in self.attempts if a.state == PaymentAttempt.DECLINED)

    @property
    def pending_attempt(self) -> AttemptView | None:
        """The newest attempt still waiting for a result (the return page says "checking")."""
        return next((a for a in reversed(self.attempts) if a.state == PaymentAttempt.PENDING), None)

    @property
    def last_attempt(self) -> AttemptView | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def refundable(self) -> int:
        """What may still be asked back: paid, minus refunded, minus fee refunds under way."""
        under_way = sum(
            r.amount
            for r in self.refunds
            if r.kind == Refund.FEE and r.state in (Refund.AWAITING_APPROVAL, Refund.PENDING)
        )
        return max(self.amount_paid - self.amount_refunded - under_way, 0)

    def describe(self, language: str) -> str:
        return self.description.get(language) or self.description.get("en") or self.service_code


def _attempt_view(a: PaymentAttempt) -> AttemptView:
    return AttemptView(
        id=a.pk,
        provider=a.provider,
        state=a.state,
        amount=a.amount,
        currency=a.currency,
        failure_code=a.failure_code,
        next_url=a.next_url,
        created_at=a.created_at,
        finished_at=a.finished_at,
    )


def _refund_view(r: Refund) -> RefundView:
    return RefundView(
        id=r.pk,
        public_id=str(r.public_id),
        kind=r.kind,
        amount=r.amount,
        reason=r.reason,
        state=r.state,
        requested_by_id=r.requested_by_id,
        approved_by_id=r.approved_by_id,
        decision_note=r.decision_note,
        created_at=r.created_at,
        finished_at=r.finished_at,
    )


def payment_view(payment: Payment) -> PaymentView:
    """The view of a payment model (its attempts and refunds read here: two queries)."""
    return _view(
        payment,
        attempts=payment.attempts.order_by("created_at", "id"),
        refunds=payment.refunds.order_by("created_at", "id"),
    )


def _view(
    payment: Payment, *, attempts: Iterable[PaymentAttempt], refunds: Iterable[Refund]
) -> PaymentView:
    return PaymentView(
        id=payment.pk,
        public_id=str(payment.public_id),
        reference=payment.reference,
        source_ref=payment.source_ref,
        payer_id=payment.payer_id,
        agency_code=payment.agency_code,
        service_code=payment.service_code,
        description=dict(payment.description or {}),
        language=payment.language,
        amount=payment.amount,
        currency=payment.currency,
        amount_before_exemption=payment.amount_before_exemption,
        exemption=dict(payment.exemption or {}),
        state=payment.state,
        amount_paid=payment.amount_paid,
        amount_refunded=payment.amount_refunded,
        paid_via=payment.paid_via,
        created_at=payment.created_at,
        expires_at=payment.expires_at,
        paid_at=payment.paid_at,
        receipt_document_id=payment.receipt_document_id,
        attempts=tuple(_attempt_view(a) for a in attempts),
        refunds=tuple(_refund_view(r) for r in refunds),
    )


def payment_for_source(*, source_ref: str) -> PaymentView | None:
    """The payment of one thing ("application:42"), or None when nothing is owed for it."""
    payment = Payment.objects.filter(source_ref=source_ref).first()
    return payment_view(payment) if payment is not None else None


def uuid_or_none(value: uuid.UUID | str) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def payment_by_public_id(*, public_id: uuid.UUID | str) -> PaymentView | None:
    """The payment with this public id (from a URL: malformed ids are simply not found)."""
    key = uuid_or_none(public_id)
    if key is None:
        return None
    payment = Payment.objects.filter(public_id=key).first()
    return payment_view(payment) if payment is not None else None


def payment_by_reference(*, reference: str) -> PaymentView | None:
    """The payment with this invoice number (digits only; spaces a person typed are ignored)."""
    digits = "".join(ch for ch in reference if not ch.isspace())
    payment = Payment.objects.filter(reference=digits).first()
    return payment_view(payment) if payment is not None else None


def refund_by_public_id(*, public_id: uuid.UUID | str) -> RefundView | None:
    key = uuid_or_none(public_id)
    refund = Refund.objects.filter(public_id=key).first() if key is not None else None
    return _refund_view(refund) if refund is not None else None


def payments_of_payer(*, payer_id: int, cursor: str | None = None, limit: int = 20) -> Page:
    """The payer's own payments (the citizen's /my/payments/), newest first, keyset-paginated on
    id: three queries a page, whatever its length (attempts and refunds prefetched in order)."""
    limit = page_limit(limit)
    qs = Payment.objects.filter(payer_id=payer_id).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=cursor_read(cursor, id=cursor_key)["id"])
    qs = qs.prefetch_related(
        Prefetch("attempts", queryset=PaymentAttempt.objects.order_by("created_at", "id")),
        Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id")),
    )
    rows = list(qs[: limit + 1])
    next_cursor = cursor_encode({"id": rows[limit - 1].pk}) if len(rows) > limit else None
    return Page(
        [_view(p, attempts=p.attempts.all(), refunds=p.refunds.all()) for p in rows[:limit]],
        next_cursor,
    )


# --- lookups the payment commands share -------------------------------------------------------


def payment_row_get(public_id: uuid.UUID | str) -> Payment:
    """The payment row itself (for a command to change), by its public id; else 404."""
    key = uuid_or_none(public_id)
    payment = Payment.objects.filter(public_id=key).first() if key is not None else None
    if payment is None:
        raise not_found("payment")
    return payment


def refund_attempt_of(refund: Refund) -> PaymentAttempt | None:
    """The attempt whose money a refund returns: its own, else the payment's paid attempt."""
    if refund.attempt_id is not None:
        return refund.attempt
    return PaymentAttempt.objects.filter(
        payment_id=refund.payment_id, state=PaymentAttempt.SUCCEEDED
    ).first()


def refundable_amount(payment: Payment) -> int:
    """What may still be refunded: paid, less refunded, less refunds under way."""
    under_way = (
        Refund.objects.filter(
            payment=payment,
            kind=Refund.FEE,
            state__in=(Refund.AWAITING_APPROVAL, Refund.PENDING),
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(payment.amount_paid - payment.amount_refunded - under_way, 0)


def payment_for_payer(*, actor: Actor | None, public_id: uuid.UUID | str) -> Payment:
    """The payment, if `actor` is its payer (None: the platform itself); else 404."""
    payment = payment_row_get(public_id)
    if actor is not None and getattr(actor, "pk", None) != payment.payer_id:
        raise not_found("payment")
    return payment


def webhooks_due(now: dt.datetime) -> QuerySet[ProviderWebhook]:
    """Received webhooks whose (re)try is due."""
    return ProviderWebhook.objects.filter(state=ProviderWebhook.RECEIVED).filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now)
    )
