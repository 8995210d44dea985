"""The daily reconciliation: every provider's settlement report against our attempts and
refunds, with the mismatches listed for the finance desk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record

from ..models import Payment, PaymentAttempt, ReconciliationRun, Refund
from ..providers import base
from ..providers.base import PaymentProvider, ProviderRefused, ProviderUnavailable, Status
from .configuration import provider_for, providers_configured
from .outcomes import _status_apply
from .references import reference_normalise


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )
    return start, start + dt.timedelta(days=1)


def _line_data(code: str, line: base.SettlementLine, **extra: Any) -> dict[str, Any]:
    return {
        "provider": code,
        "provider_ref": line.provider_ref,
        "reference": line.reference,
        "amount": line.amount,
        "currency": line.currency,
        "line_ref": line.line_ref,
        **extra,
    }


def _reconcile_provider(
    code: str, impl: PaymentProvider, *, day: dt.date, mismatches: list[dict[str, Any]]
) -> dict[str, int] | None:
    """One provider's settlement report of `day` against our attempts (see `reconcile_day`)."""
    try:
        lines = impl.settlement(day)
    except NotImplementedError:
        return None
    except (ProviderUnavailable, ProviderRefused) as exc:
        mismatches.append(
            {"kind": "provider_unavailable", "provider": code, "detail": str(exc)[:300]}
        )
        return {"unavailable": 1}
    start, end = _day_bounds(day)
    seen: set[int] = set()
    arrivals: dict[int, int] = {}  # payment id -> money-in lines naming it
    credits = [line for line in lines if line.amount > 0]
    for line in credits:
        attempt = None
        if line.provider_ref:
            attempt = (
                PaymentAttempt.objects.select_related("payment")
                .filter(provider=code, provider_ref=line.provider_ref)
                .first()
            )
        if attempt is None:
            payment = Payment.objects.filter(reference=reference_normalise(line.reference)).first()
            if payment is None:
                mismatches.append(_line_data(code, line, kind="missing_on_platform"))
                continue
            if line.amount != payment.amount or line.currency != payment.currency:
                mismatches.append(
                    _line_data(code, line, kind="amount_differs", expected=payment.amount)
                )
                continue
            attempt = (
                PaymentAttempt.objects.filter(
                    payment=payment,
                    provider=code,
                    state__in=(PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED),
                )
                .exclude(pk__in=seen)
                .order_by("finished_at", "id")
                .first()
            )
            if attempt is None:
                mismatches.append(_line_data(code, line, kind="missing_on_platform"))
                continue
        if line.amount != attempt.amount or line.currency != attempt.currency:
            mismatches.append(
                _line_data(code, line, kind="amount_differs", expected=attempt.amount)
            )
            continue
        if attempt.state not in (PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED):
            # The provider took money we never recorded (a lost webhook and failed polls): apply
            # it now — paid, or refunded if the payment was paid meanwhile — and say so.
            status = Status(
                provider_ref=attempt.provider_ref,
                outcome=base.SUCCEEDED,
                amount=line.amount,
                currency=line.currency,
                at=min(end - dt.timedelta(seconds=1), timezone.now()),
            )
            outcome = _status_apply(attempt_id=attempt.pk, status=status, via="settlement")
            mismatches.append(_line_data(code, line, kind="recovered", outcome=outcome))
        seen.add(attempt.pk)
        arrivals[attempt.payment_id] = arrivals.get(attempt.payment_id, 0) + 1
    for payment_id, count in sorted(arrivals.items()):
        if count > 1:
            payment = Payment.objects.get(pk=payment_id)
            mismatches.append(
                {
                    "kind": "paid_twice",
                    "provider": code,
                    "reference": payment.reference,
                    "count": count,
                    "double_refunds": payment.refunds.filter(kind=Refund.DOUBLE).count(),
                }
            )
    ours = PaymentAttempt.objects.filter(
        provider=code,
        state__in=(PaymentAttempt.SUCCEEDED, PaymentAttempt.REFUNDED),
        finished_at__gte=start,
        finished_at__lt=end,
    ).select_related("payment")
    platform_count = platform_sum = 0
    for attempt in ours:
        platform_count += 1
        platform_sum += attempt.amount
        if attempt.pk not in seen:
            mismatches.append(
                {
                    "kind": "missing_at_provider",
                    "provider": code,
                    "provider_ref": attempt.provider_ref,
                    "reference": attempt.payment.reference,
                    "amount": attempt.amount,
                    "currency": attempt.currency,
                }
            )
    debits = [line for line in lines if line.amount < 0]
    return {
        "provider_count": len(credits),
        "provider_sum": sum(line.amount for line in credits),
        "platform_count": platform_count,
        "platform_sum": platform_sum,
        "refunds_count": len(debits),
        "refunds_sum": -sum(line.amount for line in debits),
    }


def reconcile_day(*, day: dt.date) -> ReconciliationRun:
    """Compare each provider's settlement report of `day` (for pay by reference: the imported
    bank statements' lines) with the platform's records and list what a person must look at:
    `missing_on_platform` (money we have no record of), `missing_at_provider` (a success the
    provider does not report), `amount_differs`, `paid_twice`, `recovered` (a provider-side
    success we had missed: applied now, as paid or refunded) and `provider_unavailable`. The
    bank statements come in through the reference provider's settlement (every line booked
    that day), so a line that matched no invoice is `missing_on_platform` here too. Re-running
    replaces the day's run (it is a report, and recoveries are idempotent)."""
    mismatches: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    for code in sorted(providers_configured()):
        try:
            impl = provider_for(code)
        except Exception:  # configured but its plug-in is missing: say so, do not stop
            mismatches.append(
                {"kind": "provider_unavailable", "provider": code, "detail": "plug-in not found"}
            )
            continue
        figures = _reconcile_provider(code, impl, day=day, mismatches=mismatches)
        if figures is not None:
            summary[code] = figures
    summary["mismatches"] = len(mismatches)
    with transaction.atomic():
        run, _ = ReconciliationRun.objects.update_or_create(
            day=day, defaults={"summary": summary, "mismatches": mismatches}
        )
        audit_record(
            actor=None,
            kind=Kind.CHANGE,
            action="payment.reconcile",
            object_type="reconciliation",
            object_id=run.pk,
            data={"day": day.isoformat(), "mismatches": len(mismatches)},
        )
    return run
