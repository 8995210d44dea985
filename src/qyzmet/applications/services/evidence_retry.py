"""Evidence a registry did not give at submission: the case waits outside the workflow, a sweep
retries with backoff (outside any row lock), and an officer may ask the registries again."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import Kind, audit_record
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.events import event_publish
from qyzmet.core.problem import not_found
from qyzmet.core.tasks import enqueue_on_commit
from qyzmet.identity.selectors import user_roles

from .. import errors
from ..evidence import Evidence
from ..models import Application
from ..payment_step import workflow_or_payment
from .common import (
    APPLICANT_ROLE,
    SYSTEM_ROLE,
    _audit_data,
    _event_payload,
    _evidence_fetch,
    _history,
    _staff_role,
)

log = logging.getLogger(__name__)


# --- evidence a registry did not give at submission -------------------------------------------

# How long a retry holds its claim on an application: longer than the registry reads of one
# attempt can take (the gateway's timeout per read), so two sweeps never read for the same case
# at once, and short enough that a crashed worker's case is retried soon.
EVIDENCE_RETRY_LEASE = dt.timedelta(minutes=5)


def evidence_retry_delay(*, attempts: int) -> dt.timedelta:
    """The wait before the next attempt after `attempts` failed retries: 1, 2, 4, ... minutes,
    at most an hour (`QYZMET_EVIDENCE_RETRY_BASE_SECONDS`, `QYZMET_EVIDENCE_RETRY_MAX_SECONDS`)."""
    base = float(getattr(settings, "QYZMET_EVIDENCE_RETRY_BASE_SECONDS", 60))
    cap = float(getattr(settings, "QYZMET_EVIDENCE_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base * 2 ** min(attempts, 32), cap))


def evidence_wait_max() -> dt.timedelta:
    """How long after submission a case may wait for a registry that does not answer before it
    goes to the agency without that evidence (`QYZMET_EVIDENCE_WAIT_MAX_SECONDS`, 48 hours):
    the deadline runs from the submission, so the officer must get the time to decide."""
    return dt.timedelta(seconds=float(getattr(settings, "QYZMET_EVIDENCE_WAIT_MAX_SECONDS",
                                              48 * 3600)))  # fmt: skip


def _evidence_retry_schedule(*, application_id: int, delay: dt.timedelta) -> None:
    """After commit, queue one retry of this application for when it is due (eager in the
    embedded default, where it finds the case not due yet and leaves it to the sweep). A broker
    that is down loses nothing: the periodic sweep finds every due case in the table."""
    from ..tasks import evidence_retry

    enqueue_on_commit(evidence_retry, application_id, countdown=delay.total_seconds())


def _evidence_await(
    application: Application, *, actor, service, found: Evidence, signature=None
) -> None:
    """Keep a submission whose registry did not answer: everything the citizen gave and every
    fact read, in AWAITING_EVIDENCE (outside the workflow, so in no inbox and with no
    deadline yet), with the items still to read and the first retry due."""
    delay = evidence_retry_delay(attempts=0)
    application.state = Application.AWAITING_EVIDENCE
    application.is_open = False
    application.evidence_pending = list(found.pending)
    application.evidence_attempts = 0
    assert application.submitted_at is not None  # stamped by the submission that calls this
    application.evidence_retry_at = application.submitted_at + delay
    application.evidence_error = found.error
    application.save()
    _history(
        application,
        actor=actor,
        action="submit",
        from_state=Application.DRAFT,
        to_state=application.state,
        role=APPLICANT_ROLE,
        signature=signature,
    )
    audit_record(
        actor=actor,
        kind=Kind.CHANGE,
        action="application.submit",
        object_type="application",
        object_id=application.pk,
        subject_iin=application.applicant_iin,
        data=_audit_data(
            application, service=service, signature=signature, evidence_pending=list(found.pending)
        ),
    )
    event_publish(
        topic="application.evidence_waiting",
        payload=_event_payload(application, evidence_pending=list(found.pending)),
    )
    _evidence_retry_schedule(application_id=application.pk, delay=delay)


def application_evidence_retry(*, application_id: int, now: dt.datetime | None = None) -> str:
    """Try once more to read the evidence a waiting application lacks, if its retry is due.

    Returns "started" (the application entered its workflow exactly as a complete submission
    does: with all its evidence, or — history action `evidence_incomplete` — without the items
    a registry refused for good or did not give within `evidence_wait_max()`, which stay in
    `evidence_missing` for the officer and the citizen), "waiting" (a registry still did not
    answer: the attempt is counted and the next one set later, by `evidence_retry_delay`) or
    "skipped" (not due, taken by another worker, or no longer waiting).

    Safe to run from any number of workers at once: a conditional UPDATE claims the case (only
    one claimer reads the registries), and the transition re-checks the state under
    `select_for_update`, so the workflow starts once. The reads carry the same purpose as at
    submission ("application N for service S") with the citizen as the end user."""
    now = now or timezone.now()
    claimed = Application.objects.filter(
        pk=application_id,
        state=Application.AWAITING_EVIDENCE,
        evidence_retry_at__lte=now,
    ).update(evidence_retry_at=now + EVIDENCE_RETRY_LEASE)
    if not claimed:
        return "skipped"
    application = Application.objects.select_related("applicant").get(pk=application_id)
    service = service_pinned(version_id=application.service_version_id)
    # Outside the transaction below: a slow registry must not hold the row lock. The citizen
    # is the end user the registry is read for (the gateway's X-Road-UserId).
    found = _evidence_fetch(
        actor=application.applicant,
        application=application,
        package=service.package,
        only=application.evidence_pending,
        lenient=True,
    )
    with transaction.atomic():
        locked = Application.objects.select_for_update().filter(pk=application_id).first()
        if locked is None or locked.state != Application.AWAITING_EVIDENCE:
            return "skipped"
        application = locked
        application.evidence = {**application.evidence, **found.facts}
        missing = {**application.evidence_missing, **found.failed}
        # A case waiting for evidence was submitted: its submission moment is set.
        assert application.submitted_at is not None
        waited = now - application.submitted_at
        if found.pending and waited >= evidence_wait_max():
            # Waiting longer would eat the citizen's deadline: the officer decides without it.
            hours = int(evidence_wait_max().total_seconds() // 3600)
            missing.update(found.not_obtained(prefix=f"no answer within {hours} h: "))
            found.pending = []
        if found.pending:
            application.evidence_attempts += 1
            delay = evidence_retry_delay(attempts=application.evidence_attempts)
            application.evidence_pending = list(found.pending)
            application.evidence_missing = missing
            application.evidence_retry_at = now + delay
            application.evidence_error = found.error
            application.save(
                update_fields=[
                    "evidence",
                    "evidence_pending",
                    "evidence_missing",
                    "evidence_attempts",
                    "evidence_retry_at",
                    "evidence_error",
                    "updated_at",
                ]
            )
            _evidence_retry_schedule(application_id=application.pk, delay=delay)
            return "waiting"
        application.evidence_missing = missing
        # Complete now: the fee is quoted from the facts as read (a fee to pay waits for it).
        workflow_or_payment(
            application,
            actor=None,
            role=SYSTEM_ROLE,
            action="evidence_incomplete" if missing else "evidence_received",
            from_state=Application.AWAITING_EVIDENCE,
            service=service,
        )
        return "started"


@dataclass(frozen=True)
class RefetchResult:
    """What an officer's new attempt obtained, what is still missing (with the reason), and the
    case as it now is."""

    obtained: list[str]
    still_missing: dict[str, dict[str, str]]
    application: Application


def application_evidence_refetch(*, actor, application_id: int) -> RefetchResult:
    """An officer of the case's agency asks the registries again for the evidence the case came
    in without (`evidence_missing`): a registry may be back, or a record may have been
    corrected. Read through the client seam with the purpose "application N for service S" and
    the officer as the one who reads (the citizen's data tracker names them). What arrives joins
    the evidence and leaves `evidence_missing`; a history entry (`evidence_refetched`) and an
    audit record say what was obtained. 404 for another agency's case, 409 when nothing is
    missing or the case is closed."""
    application = Application.objects.filter(pk=application_id).first()
    if application is None or not user_roles(user=actor).get(application.agency_code):
        raise not_found("application")
    if not application.is_open or not application.evidence_missing:
        raise errors.nothing_missing()
    service = service_pinned(version_id=application.service_version_id)
    wanted = list(application.evidence_missing)
    # Outside the transaction below: a slow registry must not hold the row lock.
    found = _evidence_fetch(actor=actor, application=application, package=service.package,
                            only=wanted, lenient=True)  # fmt: skip
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application_id)
        if not application.is_open or not application.evidence_missing:
            raise errors.nothing_missing()
        obtained = [name for name in wanted if name in found.facts]
        missing = {k: v for k, v in application.evidence_missing.items() if k not in obtained}
        missing.update({k: v for k, v in found.not_obtained().items() if k in missing})
        application.evidence = {**application.evidence,
                                **{k: found.facts[k] for k in obtained}}  # fmt: skip
        application.evidence_missing = missing
        application.save(update_fields=["evidence", "evidence_missing", "updated_at"])
        _history(application, actor=actor, action="evidence_refetched",
                 from_state=application.state, to_state=application.state,
                 reason=", ".join(obtained), role=_staff_role(actor, application))  # fmt: skip
        audit_record(
            actor=actor, kind=Kind.CHANGE, action="application.evidence_refetched",
            object_type="application", object_id=application.pk,
            subject_iin=application.applicant_iin,
            data={"obtained": obtained, "still_missing": sorted(missing)},
        )  # fmt: skip
    return RefetchResult(obtained=obtained, still_missing=missing, application=application)


def evidence_retry_due(*, now: dt.datetime | None = None, limit: int = 500) -> dict[str, int]:
    """The periodic sweep: retry every waiting application whose retry is due, oldest first
    (celery beat, and `qyzmet evidence_retry`). Safe to re-run and to run twice at once. A
    case whose retry fails unexpectedly is logged and left to the next sweep once its claim
    runs out."""
    now = now or timezone.now()
    due = list(
        Application.objects.filter(state=Application.AWAITING_EVIDENCE, evidence_retry_at__lte=now)
        .order_by("evidence_retry_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {"started": 0, "waiting": 0, "skipped": 0, "failed": 0}
    for pk in due:
        try:
            counts[application_evidence_retry(application_id=pk, now=now)] += 1
        except Exception:
            log.exception("evidence retry of application %s failed", pk)
            counts["failed"] += 1
    return counts
