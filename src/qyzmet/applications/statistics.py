"""Read-only aggregates over applications for the open statistics (`qyzmet.opendata`).

Everything here is counted in the database (GROUP BY) and returned as counts per group: no
application, applicant, number or free text ever leaves this module. Dates are the platform's
local dates (settings.TIME_ZONE)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate

from .models import Application


@dataclass(frozen=True)
class ApplicationGroup:
    """How many submitted applications share all of these: the agency and service, the local
    date of submission and of the final decision (None while open), the legal due date, the
    final outcome ("" while open: "approved", "refused", "withdrawn" … as the service's workflow
    names it), whether the case is still open, whether its clock is paused (the applicant was
    asked for more) and whether it still waits for registry evidence (outside the workflow)."""

    agency: str
    service: str
    submitted_on: dt.date
    decided_on: dt.date | None
    due_date: dt.date | None
    outcome: str
    is_open: bool
    paused: bool
    awaiting_evidence: bool
    count: int


# Signed but never handed to the agency: the fee is not paid yet, or was never paid. The
# agency's figures start when its workflow does.
NOT_WITH_THE_AGENCY = (Application.AWAITING_PAYMENT, Application.LAPSED)


def application_groups() -> list[ApplicationGroup]:
    """Every submitted application (drafts are not applications yet, nor are those whose fee
    is unpaid: `NOT_WITH_THE_AGENCY`), counted per group."""
    rows = (
        Application.objects.filter(submitted_at__isnull=False)
        .exclude(state__in=NOT_WITH_THE_AGENCY)
        .annotate(submitted_on=TruncDate("submitted_at"), decided_on=TruncDate("decided_at"))
        .values(
            "agency_code", "service_code", "submitted_on", "decided_on", "due_date", "outcome",
            "is_open", "state",
        )
        .annotate(n=Count("id"), paused_n=Count("id", filter=Q(paused_at__isnull=False)))
        .order_by()
    )
    groups: list[ApplicationGroup] = []
    for row in rows:
        common = dict(
            agency=row["agency_code"], service=row["service_code"],
            submitted_on=row["submitted_on"], decided_on=row["decided_on"],
            due_date=row["due_date"], outcome=row["outcome"] or "", is_open=row["is_open"],
            awaiting_evidence=row["state"] == Application.AWAITING_EVIDENCE,
        )  # fmt: skip
        paused = row["paused_n"]
        if paused:
            groups.append(ApplicationGroup(**common, paused=True, count=paused))
        if row["n"] - paused:
            groups.append(ApplicationGroup(**common, paused=False, count=row["n"] - paused))
    return groups


@dataclass(frozen=True)
class RefusalGroup:
    """How many refused applications share the agency, the service, the package version they
    were decided under, the ground's code ("" when none was recorded: a version published
    before grounds existed) and the local date of submission."""

    agency: str
    service: str
    service_version_id: int
    ground: str
    submitted_on: dt.date
    count: int


def refusal_groups() -> list[RefusalGroup]:
    """Every refusal, counted per group (the ground's words are the package's, looked up by the
    caller; the officer's free text never leaves this module)."""
    rows = (
        Application.objects.filter(submitted_at__isnull=False, outcome="refused")
        .annotate(submitted_on=TruncDate("submitted_at"))
        .values("agency_code", "service_code", "service_version_id", "decision_ground",
                "submitted_on")
        .annotate(n=Count("id"))
        .order_by()
    )  # fmt: skip
    return [
        RefusalGroup(agency=r["agency_code"], service=r["service_code"],
                     service_version_id=r["service_version_id"], ground=r["decision_ground"],
                     submitted_on=r["submitted_on"], count=r["n"])
        for r in rows
    ]  # fmt: skip


def applications_version() -> tuple[int, str]:
    """A cheap fingerprint of the applications' state (count and latest change): what the
    statistics were computed from."""
    agg = Application.objects.filter(submitted_at__isnull=False).aggregate(
        n=Count("id"), latest=Max("updated_at")
    )
    return agg["n"], str(agg["latest"] or "")
