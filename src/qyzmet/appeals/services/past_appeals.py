"""Past appeals: importing (and removing) the history of another system."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import audit_record
from qyzmet.core.actor import Actor
from qyzmet.core.calendar import calendar_default
from qyzmet.identity.selectors import organisation_names

from ..config import appeals_pack
from ..models import Appeal, OrganisationAlias
from ..validation import TEXT_MAX
from .common import LANGUAGES, _due

# Sources of appeals people submit here: never imported under, never removed in bulk.
SUBMITTED_SOURCES = frozenset({"portal", "api", "open311", "demo"})


IMPORT_KEY = "imported_id"  # in `attributes`: the appeal's id in the system it came from


@dataclasses.dataclass(frozen=True)
class PastAppeal:
    """One appeal handled elsewhere before (an earlier system, a published dataset): what the
    citizen wrote and where, how it was classified, who answered and when. Labels are the other
    system's words: the category is mapped like the routing model's labels, the organisation
    through the organisation aliases (or is one of our codes)."""

    key: str
    text: str
    created_at: dt.datetime
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    district: str | None = None
    category_label: str | None = None
    reason: str = ""
    organisation_label: str | None = None
    answered_at: dt.datetime | None = None
    closed: bool = False  # the case was finished there (not only answered)
    language: str = "ru"


def _source_check(source: str) -> str:
    max_length = Appeal._meta.get_field("source").max_length or 0  # a CharField: always set
    if not source or len(source) > max_length or source in SUBMITTED_SOURCES:
        raise ValueError(
            f"{source!r} cannot mark imported appeals: use a source of its own "
            f"(1 to {max_length} characters, not one of {sorted(SUBMITTED_SOURCES)})"
        )
    return source


def _past_row(
    item: PastAppeal,
    *,
    source: str,
    org: str | None,
    now: dt.datetime,
    today: dt.date,
    soon: dt.date,
) -> Appeal | None:
    """The appeal as it stands today after the life the record tells, or None when the record
    cannot be an appeal (no text, half a point, times in the future or out of order)."""
    pack = appeals_pack()
    text = (item.text or "").strip()[:TEXT_MAX]
    created = item.created_at
    if not text or timezone.is_naive(created) or created > now:
        return None
    answered = item.answered_at
    if answered is not None and (timezone.is_naive(answered) or not created <= answered <= now):
        return None
    lat, lon = item.lat, item.lon
    if (lat is None) != (lon is None):
        return None
    if lat is not None and lon is not None and not pack.in_jurisdiction(lat, lon):
        lat = lon = None
    district = (item.district or "")[:100] or None
    status = (
        Appeal.PLACE_POINT
        if lat is not None
        else Appeal.PLACE_DISTRICT
        if district
        else Appeal.PLACE_UNRESOLVED
    )
    category = pack.category_for_label(item.category_label)
    type_code = pack.categories[category].type if category else pack.default_type
    kind = pack.types.get(type_code) or pack.types[pack.default_type]
    due = _due(timezone.localdate(created), kind.deadline_working_days)
    appeal = Appeal(
        source=source,
        language=item.language if item.language in LANGUAGES else "kk",
        appeal_type=kind.code,
        text=text,
        lat=lat,
        lon=lon,
        address=(item.address or "")[:300],
        district=district,
        place_status=status,
        category=category,
        reason=(item.reason or "")[:200],
        organisation_code=org,
        due_date=due,
        attributes={IMPORT_KEY: item.key},
    )
    appeal.created_at = created
    if answered is not None:
        # Answered there: the clock stopped on the day of the answer, as `appeal_answer` does.
        appeal.answered_at = answered
        appeal.answered_on_time = timezone.localdate(answered) <= due
        appeal.status = Appeal.CLOSED if item.closed else Appeal.ANSWERED
        appeal.is_open = not item.closed
        appeal.closed_at = answered if item.closed else None
    else:
        appeal.status = Appeal.IN_WORK if org else Appeal.REGISTERED
    # Escalations that were due in the past belong to the past: they are not sent now. An
    # appeal still open whose deadline is ahead escalates like any other when it comes.
    appeal.overdue_notified = due < today
    appeal.due_soon_notified = due <= soon
    appeal.updated_at = answered or created
    return appeal


@transaction.atomic
def past_appeals_import(
    *, actor: Actor | None, source: str, appeals: Sequence[PastAppeal]
) -> dict[str, int]:
    """Import appeals handled before this system (e.g. the demo's history): each is created as
    it stands today — answered (on time or late against its type's deadline in working days)
    and closed when the record says so, else still in work with its organisation (or waiting
    for triage without one) — with its own creation and answer times, and `source` marking the
    batch so it can be told apart and removed (`past_appeals_remove`).

    Idempotent by `source` and `key`: appeals already imported are skipped. Nothing is done
    per appeal: batched inserts (PostgreSQL takes them all in one statement; SQLite's limit of
    999 parameters allows ~20 appeals a statement), batched updates of the numbers and times,
    one audit row for the whole import. Because these appeals are past, none of what submitting and
    handling trigger happens for them: no history rows, no duplicate linking, no routing
    suggestion, no gazetteer learning, no outbox events (hence no notifications); escalations
    whose day has passed are marked as done."""
    source = _source_check(source)
    now = timezone.now()
    today = timezone.localdate(now)
    soon = calendar_default().add_working_days(today, 1)  # as `deadlines_flag` counts it
    done = {
        (attrs or {}).get(IMPORT_KEY)
        for attrs in Appeal.objects.filter(source=source).values_list("attributes", flat=True)
    }
    fresh: dict[str, PastAppeal] = {}
    for item in appeals:
        if item.key not in done:
            fresh.setdefault(item.key, item)
    labels = {item.organisation_label for item in fresh.values() if item.organisation_label}
    orgs = (
        dict(
            OrganisationAlias.objects.filter(label__in=labels).values_list(
                "label", "organisation_code"
            )
        )
        if labels
        else {}
    )
    unknown = labels - orgs.keys()
    if unknown:
        orgs.update({code: code for code in organisation_names(codes=unknown)})
    rows: list[Appeal] = []
    for item in sorted(fresh.values(), key=lambda i: (i.created_at, i.key)):
        row = _past_row(
            item,
            source=source,
            org=orgs.get(item.organisation_label or ""),
            now=now,
            today=today,
            soon=soon,
        )
        if row is not None:
            rows.append(row)
    if rows:
        # `created_at` and `updated_at` are set on insert whatever they hold (auto_now_add,
        # auto_now); their true values, and the numbers (which need the ids), follow in one
        # update.
        times = [(row.created_at, row.updated_at) for row in rows]
        Appeal.objects.bulk_create(rows)
        for row, (created, updated) in zip(rows, times, strict=True):
            row.created_at, row.updated_at = created, updated
            row.number = f"A-{timezone.localtime(created):%Y}-{row.pk:07d}"
        Appeal.objects.bulk_update(rows, ["created_at", "updated_at", "number"])
        audit_record(
            actor=actor if getattr(actor, "pk", None) else None,
            kind="change",
            action="appeal.past_imported",
            object_type="appeal_source",
            object_id=source,
            data={"created": len(rows), "first": rows[0].pk, "last": rows[-1].pk},
        )
    return {
        "created": len(rows),
        "existing": len(appeals) - len(fresh),
        "skipped": len(fresh) - len(rows),
    }


@transaction.atomic
def past_appeals_remove(*, actor: Actor | None, source: str) -> int:
    """Remove every appeal imported under `source` (never appeals people submitted here).
    Later appeals linked to one of them as a duplicate lose the link."""
    source = _source_check(source)
    ids = list(Appeal.objects.filter(source=source).values_list("pk", flat=True))
    if not ids:
        return 0
    Appeal.objects.filter(duplicate_of_id__in=ids).exclude(source=source).update(
        duplicate_of=None, duplicate_state="", duplicate_score=None
    )
    Appeal.objects.filter(pk__in=ids).delete()
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        kind="change",
        action="appeal.past_removed",
        object_type="appeal_source",
        object_id=source,
        data={"removed": len(ids)},
    )
    return len(ids)
