"""Read-only aggregates over appeals for the open statistics (`qyzmet.opendata`).

Counted in the database (GROUP BY) and returned per group: no appeal, text, address, place or
person ever leaves this module. Dates are local dates (settings.TIME_ZONE)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max
from django.db.models.functions import TruncDate

from .models import Appeal


@dataclass(frozen=True)
class AppealGroup:
    """How many appeals share all of these: the responsible organisation ("" before routing),
    the category and district ("" when unknown), the local date received, whether and when
    (whole hours after receipt, rounded down) it was answered, whether on time, and the
    citizen's rating (1–5, None when not rated)."""

    organisation: str
    category: str
    district: str
    received_on: dt.date
    answered: bool
    response_hours: int | None
    answered_on_time: bool
    rating: int | None
    count: int


def appeal_groups() -> list[AppealGroup]:
    """Every registered appeal (merged duplicates included: each was received), per group."""
    rows = (
        Appeal.objects.annotate(
            received_on=TruncDate("created_at"),
            response=ExpressionWrapper(F("answered_at") - F("created_at"),
                                       output_field=DurationField()),
        )
        .values("organisation_code", "category", "district", "received_on", "response",
                "answered_on_time", "rating")
        .annotate(n=Count("id"))
        .order_by()
    )  # fmt: skip
    # Keyed by every field of AppealGroup but the count, in its order.
    out: dict[tuple[str, str, str, dt.date, bool, int | None, bool, int | None], int] = {}
    for row in rows:
        response = row["response"]
        hours = None if response is None else max(0, int(response.total_seconds() // 3600))
        key = (
            row["organisation_code"] or "", row["category"] or "", row["district"] or "",
            row["received_on"], response is not None, hours, bool(row["answered_on_time"]),
            row["rating"],
        )  # fmt: skip
        out[key] = out.get(key, 0) + row["n"]
    return [AppealGroup(*key, count=n) for key, n in out.items()]


def appeals_version() -> tuple[int, str]:
    agg = Appeal.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    return agg["n"], str(agg["latest"] or "")
