"""Writing consent: publishing an agreement version, giving and withdrawing consent.

Every answer is a new `ConsentRecord` revision (append-only) with its audit row in the same
transaction; two concurrent answers of the same person collide on the unique revision and the
second is refused rather than silently lost."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import Problem, not_found

from .models import ConsentAgreement, ConsentRecord
from .selectors import agreement_in_force, consent_latest


@transaction.atomic
def consent_agreement_publish(
    *,
    actor: Any | None,
    code: str,
    registry: str,
    category: str,
    title: dict[str, str],
    text: dict[str, str],
    service_code: str = "",
    clients: list[str] | None = None,
) -> ConsentAgreement:
    """Publish the next version of agreement `code` (version 1 when new). Earlier consents stay
    in the history but no longer count: the person is asked again."""
    current = ConsentAgreement.objects.filter(code=code).aggregate(v=Max("version"))["v"] or 0
    agreement = ConsentAgreement.objects.create(
        code=code,
        version=current + 1,
        registry=registry,
        category=category,
        service_code=service_code,
        clients=list(clients or []),
        title=title,
        text=text,
    )
    audit_record(
        actor=actor,
        kind="change",
        action="consent.agreement_publish",
        object_type="consent_agreement",
        object_id=agreement.pk,
        data={"code": code, "version": agreement.version, "registry": registry,
              "category": category, "service_code": service_code},
    )  # fmt: skip
    return agreement


def _answer(*, actor: Any, subject_iin: str, code: str, state: str) -> ConsentRecord:
    agreement = agreement_in_force(code=code)
    if agreement is None:
        raise not_found("consent agreement")
    latest = consent_latest(subject_iin=subject_iin, code=code)
    if state == ConsentRecord.State.WITHDRAWN and (
        latest is None or latest.state == ConsentRecord.State.WITHDRAWN
    ):
        raise Problem(409, "consent.not_given", "Conflict", _("There is no consent to withdraw."))
    if (
        state == ConsentRecord.State.GIVEN
        and latest is not None
        and latest.state == state
        and latest.agreement_id == agreement.pk
    ):
        return latest  # giving the same consent twice is a no-op, not a new revision
    try:
        with transaction.atomic():
            record = ConsentRecord.objects.create(
                agreement=agreement,
                code=code,
                subject_iin=subject_iin,
                revision=(latest.revision + 1) if latest else 1,
                state=state,
                actor_label=getattr(actor, "iin", "") or "system",
            )
    except IntegrityError as exc:
        raise Problem(
            409, "consent.concurrent", "Conflict", _("Your consent changed meanwhile: try again.")
        ) from exc
    audit_record(
        actor=actor,
        kind="change",
        action=f"consent.{'give' if state == 'given' else 'withdraw'}",
        object_type="consent_record",
        object_id=record.pk,
        subject_iin=subject_iin,
        data={"code": code, "version": agreement.version, "revision": record.revision},
    )
    return record


@transaction.atomic
def consent_give(*, actor: Any, subject_iin: str, code: str) -> ConsentRecord:
    """The person agrees to the version of agreement `code` in force."""
    return _answer(actor=actor, subject_iin=subject_iin, code=code, state="given")


@transaction.atomic
def consent_withdraw(*, actor: Any, subject_iin: str, code: str) -> ConsentRecord:
    """The person withdraws consent: reads that need it are refused from now on."""
    return _answer(actor=actor, subject_iin=subject_iin, code=code, state="withdrawn")
