"""The fee step of an application: between the citizen's signature and the workflow.

A complete submission (every evidence item read) is quoted its fee (`catalog.fees.fee_quote`,
from the facts the citizen signed, on the day they submitted). Nothing to pay — a free service,
or an exemption that frees this citizen — and the workflow starts at once, as it always did.
Otherwise the application waits in AWAITING_PAYMENT (outside the workflow: no deadline, in no
inbox) and the payments context is asked for the money in the same transaction
(`payments.services.payment_require`, idempotent on "application:<id>", so a retried submission
never asks twice). The rest follows from the payments context's events (see `consumers`):

* `payment.succeeded` → `application_payment_received`: the workflow starts with the legal
  deadline counted from the day paid, not the day signed (the Law on Public Services counts it
  from the moment the application is complete, and an unpaid one is not);
* `payment.expired` → `application_payment_lapse`: the application lapses (final, outcome
  `lapsed`) and the citizen is told to apply again;
* a refusal or a withdrawal → `application_refund_by_rule`: the package's `fee.refund` rule says
  whether the fee paid goes back (`payments.services.refund_request`, the platform's own rule).

Split from `services` (which imports it only inside functions) to keep that module readable.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qyzmet.audit.services import Kind, audit_record
from qyzmet.catalog.fees import FeeQuote, fee_quote
from qyzmet.catalog.package import REFUND_FULL
from qyzmet.catalog.reference import MciYearMissing
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.events import event_publish
from qyzmet.payments import selectors as payment_selectors
from qyzmet.payments import services as payment_services

from . import errors
from .models import Application

log = logging.getLogger(__name__)

SOURCE_PREFIX = "application:"
LAPSED_OUTCOME = "lapsed"


def source_ref(application_id: int) -> str:
    """What the payments context calls an application's fee ("application:42")."""
    return f"{SOURCE_PREFIX}{application_id}"


def application_id_of(source: str) -> int | None:
    """The application id of a payment's `source_ref`, None for anything else's payment."""
    if not source.startswith(SOURCE_PREFIX):
        return None
    tail = source[len(SOURCE_PREFIX) :]
    return int(tail) if tail.isdigit() else None


def quote_for(application: Application, *, service) -> FeeQuote:
    """The fee of this application: from the facts it carries (as signed), on the day it was
    submitted (that year's MCI). A year whose index the country pack lacks is a 503
    (`fee_unavailable`): the caller's transaction rolls back, nothing is submitted."""
    try:
        return fee_quote(
            package=service.package,
            facts=application.evidence or {},
            on=timezone.localdate(application.submitted_at),
        )
    except MciYearMissing as exc:
        raise errors.fee_unavailable(exc.year) from exc


def fee_quotable_check(*, package, on: dt.date) -> None:
    """Before a citizen signs: refuse (503 `fee_unavailable`) when the package's fee cannot be
    quoted on `on` (an MCI fee in a year the country pack has no index for), so nobody is
    texted a code for a submission that would be refused."""
    try:
        package.fee.amount_on(on)
    except MciYearMissing as exc:
        raise errors.fee_unavailable(exc.year) from exc


def workflow_or_payment(
    application: Application, *, actor, role: str, action: str, from_state: str, service,
    signature=None,
) -> None:  # fmt: skip
    """The one way on from a complete submission: quote the fee, then start the workflow (0 to
    pay) or wait for the payment. One transaction with the caller's."""
    from .services import _workflow_enter

    quote = quote_for(application, service=service)
    application.fee = quote.as_dict()
    if quote.amount <= 0:
        _workflow_enter(
            application, actor=actor, role=role, action=action, from_state=from_state,
            service=service, signature=signature,
        )  # fmt: skip
        return
    _payment_await(
        application, quote=quote, actor=actor, role=role, action=action, from_state=from_state,
        service=service, signature=signature,
    )  # fmt: skip


def _description(application: Application, *, service) -> dict[str, str]:
    """What the payment is for, as the payer reads it in each language: the service's title
    and the application's number (never a code)."""
    titles = service.package.titles
    return {lang: f"{titles[lang]} — {application.number}" for lang in ("kk", "ru", "en")}


def _payment_await(
    application: Application, *, quote: FeeQuote, actor, role: str, action: str,
    from_state: str, service, signature=None,
) -> None:  # fmt: skip
    from .services import _audit_data, _event_payload, _history

    application.state = Application.AWAITING_PAYMENT
    application.is_open = False
    application.evidence_pending = []
    application.evidence_retry_at = None
    application.evidence_error = ""
    application.save()
    payment = payment_services.payment_require(
        source_ref=source_ref(application.pk),
        payer_id=application.applicant_id,
        payer_iin=application.applicant_iin,
        agency_code=application.agency_code,
        service_code=application.service_code,
        description=_description(application, service=service),
        language=application.language,
        amount=quote.amount,
        currency=quote.currency,
        amount_before_exemption=quote.amount_before_exemption if quote.exemption else None,
        exemption=quote.exemption,
    )
    application.payment_public_id = payment.public_id
    application.save(update_fields=["payment_public_id", "updated_at"])
    _history(
        application, actor=actor, action=action, from_state=from_state,
        to_state=application.state, role=role, signature=signature,
    )  # fmt: skip
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action=f"application.{action}",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data=_audit_data(
            application, service=service, signature=signature, fee=quote.as_dict(),
            payment=str(payment.public_id),
        ),
    )  # fmt: skip
    event_publish(
        topic="application.payment_awaited",
        payload=_event_payload(
            application, amount=quote.amount, currency=quote.currency,
            payment_public_id=str(payment.public_id),
        ),
    )  # fmt: skip


def _locked_awaiting(source: str) -> Application | None:
    application_id = application_id_of(source)
    if application_id is None:
        return None
    application = Application.objects.select_for_update().filter(pk=application_id).first()
    if application is None or application.state != Application.AWAITING_PAYMENT:
        return None
    return application


def application_payment_received(*, source_ref: str, paid_at: dt.datetime) -> str:
    """The fee of the application `source_ref` was paid at `paid_at`: the workflow starts, the
    legal deadline counted in working days from the local day paid (history action
    `payment_received`, by the platform). "started", or "skipped" when the application is not
    waiting for a payment (already started by a duplicate event, lapsed, not an application's
    payment): safe to call any number of times."""
    from .services import SYSTEM_ROLE, _workflow_enter

    with transaction.atomic():
        application = _locked_awaiting(source_ref)
        if application is None:
            return "skipped"
        service = service_pinned(version_id=application.service_version_id)
        application.paid_at = paid_at
        _workflow_enter(
            application, actor=None, role=SYSTEM_ROLE, action="payment_received",
            from_state=Application.AWAITING_PAYMENT, service=service,
            counted_from=timezone.localdate(paid_at),
        )  # fmt: skip
        return "started"


def application_payment_lapse(*, source_ref: str) -> str:
    """The payment of the application `source_ref` expired unpaid: the application lapses
    (final state and outcome `lapsed`; it never reached the agency) and
    `application.lapsed` tells the citizen. "lapsed" or "skipped" (not waiting for a payment)."""
    from .services import SYSTEM_ROLE, _audit_data, _event_payload, _history

    with transaction.atomic():
        application = _locked_awaiting(source_ref)
        if application is None:
            return "skipped"
        service = service_pinned(version_id=application.service_version_id)
        application.state = Application.LAPSED
        application.outcome = LAPSED_OUTCOME
        application.is_open = False
        application.decided_at = timezone.now()
        application.save()
        _history(
            application, actor=None, action="payment_expired",
            from_state=Application.AWAITING_PAYMENT, to_state=application.state, role=SYSTEM_ROLE,
        )  # fmt: skip
        audit_record(
            actor=None,
            kind=Kind.CHANGE,
            action="application.payment_expired",
            object_type="application",
            object_id=application.pk,
            subject_iin=application.applicant_iin,
            data=_audit_data(application, service=service),
        )
        event_publish(topic="application.lapsed", payload=_event_payload(application))
        return "lapsed"


def application_withdraw_unpaid(
    application: Application, *, actor, action: str, to_state: str, reason: str = ""
) -> Application:
    """The applicant withdraws an application still waiting for its fee (`application`, locked
    by the caller's transaction): the payment is cancelled (`payments.services.payment_cancel`,
    so money arriving later is returned automatically by the engine's rule) and the application
    ends in the withdraw action's final state with outcome `withdrawn`; history row, audit row
    and `application.withdrawn` (which tells the citizen) in the same transaction. Refused with
    409 `fee_just_paid` when the money arrived meanwhile: that application goes to the agency."""
    from .selectors import withdrawal_fee
    from .services import APPLICANT_ROLE, _event_payload, _history

    fee = withdrawal_fee(application=application)
    payment = payment_services.payment_cancel(source_ref=source_ref(application.pk))
    if payment is not None and payment.state not in (payment.CANCELLED, payment.EXPIRED):
        raise errors.fee_just_paid()
    from_state = application.state
    application.state = to_state
    application.outcome = "withdrawn"
    application.is_open = False
    application.decided_at = timezone.now()
    application.decision_reason = reason
    application.save()
    _history(
        application, actor=actor, action=action, from_state=from_state, to_state=to_state,
        reason=reason, role=APPLICANT_ROLE,
    )  # fmt: skip
    audit_record(
        actor=actor,
        kind=Kind.DECISION,
        action=f"application.{action}",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data={"from": from_state, "to": to_state, "role": APPLICANT_ROLE, "reason": reason,
              "fee": fee.kind, "payment": str(application.payment_public_id or "")},
    )  # fmt: skip
    event_publish(
        topic="application.withdrawn",
        payload=_event_payload(
            application, action=action, from_state=from_state, reason=reason,
            **fee.as_payload(),
        ),
    )  # fmt: skip
    return application


def _refund_reason(outcome: str, *, number: str, language: str) -> str:
    """The refund's reason in the applicant's language (the citizen sees it with the refund; a
    finance officer reads the number and the refund's kind)."""
    with translation.override(language):
        if outcome == "refused":
            return _("Application %(number)s was refused: the service refunds its fee in full.") % {
                "number": number
            }
        return _(
            "Application %(number)s was withdrawn before the decision: the service refunds its "
            "fee in full."
        ) % {"number": number}


def application_refund_by_rule(*, application_id: int, outcome: str) -> Any | None:
    """After a refusal (`outcome` "refused") or a withdrawal before the decision ("withdrawn"):
    when the pinned package's `fee.refund` rule says `full` and the fee was paid, ask the
    payments context for the whole of what is still refundable, as the platform's own rule
    (`actor=None`; above the four-eyes threshold it waits for an officer's approval). The
    idempotency key is the application and the outcome, so a repeated event refunds once.
    Returns the refund, or None when nothing is to be given back."""
    application = (
        Application.objects.select_related("applicant").filter(pk=application_id).first()
    )
    if application is None or application.payment_public_id is None:
        return None
    rule = service_pinned(version_id=application.service_version_id).package.fee.refund
    wanted = {"refused": rule.refused, "withdrawn": rule.withdrawn_before_decision}.get(outcome)
    if wanted != REFUND_FULL:
        return None
    payment = payment_selectors.payment_by_public_id(public_id=application.payment_public_id)
    if payment is None:
        return None
    amount = payment.amount_paid - payment.amount_refunded
    if amount <= 0:
        return None
    return payment_services.refund_request(
        actor=None,
        payment_public_id=payment.public_id,
        amount=amount,
        reason=_refund_reason(
            outcome,
            number=application.number,
            language=application.applicant.language or application.language,
        ),
        idempotency_key=f"{source_ref(application.pk)}:{outcome}",
    )
