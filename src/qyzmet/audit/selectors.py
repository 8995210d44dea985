"""Reading the audit trail."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from .models import AuditEntry

_TABLE = AuditEntry._meta.db_table


def audit_for_object(*, object_type: str, object_id: str | int) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
    return entries.order_by("id")


def audit_reads_of_subject(*, subject_iin: str) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(subject_iin=subject_iin, kind=AuditEntry.Kind.READ).order_by(
        "-at"
    )


def audit_entries_after(*, after_id: int, limit: int) -> list[AuditEntry]:
    """Up to `limit` entries with id > `after_id`, in id order: how the transparency log reads
    the trail to anchor its hash chain, batch after batch."""
    return list(AuditEntry.objects.filter(id__gt=after_id).order_by("id")[:limit])


def audit_entries_between(*, after_id: int, to_id: int, chunk: int = 5_000):
    """Every entry with `after_id` < id <= `to_id`, in id order, read `chunk` rows at a time
    (a verifier walks the whole trail without holding it in memory)."""
    while True:
        rows = list(
            AuditEntry.objects.filter(id__gt=after_id, id__lte=to_id).order_by("id")[:chunk]
        )
        yield from rows
        if len(rows) < chunk:
            return
        after_id = rows[-1].id


@dataclass(frozen=True)
class AuditTail:
    """The entries after `after_id`: how many, their id range, when the oldest was written."""

    count: int
    first_id: int | None
    last_id: int | None
    oldest_at: dt.datetime | None


def audit_tail(*, after_id: int) -> AuditTail:
    """The entries not yet covered by an anchor that ends at `after_id`. The tail is short by
    policy (at most a minute of writes), so counting it is cheap."""
    entries = AuditEntry.objects.filter(id__gt=after_id)
    first = entries.order_by("id").values_list("id", "at").first()
    if first is None:
        return AuditTail(0, None, None, None)
    count = entries.count()
    last_id = entries.order_by("-id").values_list("id", flat=True).first()
    return AuditTail(count, first[0], last_id, first[1])


def audit_id_watermark(*, wait_seconds: float = 5.0) -> int | None:
    """The highest id H such that every audit entry with id <= H has either committed or never
    will: what may be anchored now without skipping a row that commits later with a lower id.
    None when that could not be established within `wait_seconds`.

    SQLite has one writer at a time and hands out an id under its write lock, so the largest
    committed id is such an H. PostgreSQL hands ids out from a sequence before the writing
    transaction commits, so a committed row can have a neighbour below it still in flight. Every
    INSERT takes a RowExclusiveLock on the table before it draws its id: read the sequence's
    last value first, then wait for exactly the transactions that held that lock at that moment
    to end. Writers are never blocked (no table lock is taken); only those earlier transactions
    are waited for, which in this platform last milliseconds."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"SELECT MAX(id) FROM {_TABLE}")  # noqa: S608 (constant name)
            return cursor.fetchone()[0] or 0
        cursor.execute(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, 'id'))", [_TABLE]
        )
        last = cursor.fetchone()[0] or 0
        writers_sql = (
            "SELECT COALESCE(array_agg(virtualtransaction), '{}') FROM pg_locks "
            "WHERE locktype = 'relation' AND relation = %s::regclass "
            "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
        )
        cursor.execute(writers_sql, [_TABLE])
        writers = list(cursor.fetchone()[0])
        deadline = time.monotonic() + wait_seconds
        while writers:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
            cursor.execute(f"{writers_sql} AND virtualtransaction = ANY(%s)", [_TABLE, writers])
            writers = list(cursor.fetchone()[0])
        return last
