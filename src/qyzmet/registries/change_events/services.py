"""Publishing a registry's change as a CloudEvent, and appending it to the registry's feed.

A registry's own write (`registries/<code>/services.py`) calls `change_publish` inside its
transaction. The event is validated against the registry's descriptor (the type must be one the
registry declares, the data may carry only the declared fields), shaped as a CloudEvents 1.0
JSON event and written to the core outbox with the CloudEvents type as the topic: it exists if
and only if the registry's change committed, and it is delivered after commit to every in-process
consumer of that type — one of which, `feed_append`, numbers it into the registry's feed.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.db.models import F
from django.utils import timezone

from qyzmet.audit.services import audit_record
from qyzmet.core.events import consumer, event_publish
from qyzmet.registries.descriptor import change_event_type, registry_descriptors

from .models import FeedCounter, FeedEntry

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_TWELVE_DIGITS = re.compile(r"\d{12}")


class ChangeEventInvalid(ValueError):
    """A registry tried to publish a change its descriptor does not declare (a programming
    error: the write is rolled back with it)."""


def event_source(registry: str) -> str:
    """The CloudEvents `source`: the registry's Data API address in the exchange, the same
    for every event of the registry (`source` + `id` is unique)."""
    return f"/data/{registry}/1.0"


def change_publish(
    *,
    actor: Any | None,
    registry: str,
    type: str,
    subject: str,
    data: dict[str, Any],
    time: dt.datetime | None = None,
) -> dict[str, Any]:
    """Publish one change of `registry` inside the caller's transaction; returns the CloudEvent.

    `subject` is the IIN or BIN the change is about (as the declaration says); `data` must be
    plain JSON (dates as ISO strings) and carry only the declared `data_fields`. The change is
    audited here, in the same transaction, so every registry write that publishes is audited
    once and the same way (`actor` None: the registry's own system)."""
    found = change_event_type(type)
    if found is None or found[0].code != registry:
        raise ChangeEventInvalid(f"the registry {registry!r} declares no change event {type!r}")
    declared = found[1]
    undeclared = sorted(set(data) - set(declared.data_fields)) if declared.data_fields else []
    if undeclared:
        raise ChangeEventInvalid(f"{type}: undeclared data fields {', '.join(undeclared)}")
    if not _TWELVE_DIGITS.fullmatch(subject):
        raise ChangeEventInvalid(f"{type}: the subject must be an IIN or a BIN (12 digits)")
    event_id = str(uuid.uuid4())
    event = {
        "specversion": SPECVERSION,
        "id": event_id,
        "source": event_source(registry),
        "type": type,
        "subject": subject,
        "time": (time or timezone.now()).astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "datacontenttype": CONTENT_TYPE,
        "data": data,
    }
    audit_record(
        actor=actor, kind="change", action=f"{registry}.{type.rsplit('.', 1)[-1]}"[:100],
        object_type="registry_event", object_id=event_id,
        subject_iin=subject if declared.subject == "iin" else "",
    )  # fmt: skip
    # A registry added at run time (a plugin, a test) gets its feed consumer here; the built-in
    # ones got it when the app was ready (`feed_consumers_register`). Registering twice is a no-op.
    consumer(type)(feed_append)
    event_publish(topic=type, payload=event)
    return event


def feed_append(payload: dict[str, Any]) -> None:
    """Outbox consumer: number one CloudEvent into its registry's feed.

    Why positions are assigned here and not where the event is published: a subscriber pages the
    feed by position ("everything after 41"). Had positions come from a sequence at insert time,
    two concurrent registry transactions could take 42 and 43 and commit 43 first; a subscriber
    reading then would see 43, move its cursor past 42, and never see 42 when it commits. Here the
    position is taken by incrementing the registry's `FeedCounter` row, and that UPDATE's row
    lock is held until this consumer's transaction commits (the core outbox runs each consumer in
    its own transaction): the transaction that took 43 could only increment after the one that
    took 42 had committed. Positions therefore become visible in order, with no gaps, and "after
    N" is a safe cursor. The lock serialises only this short append (one counter row per
    registry), not the registries' own writes, which never wait for it. On SQLite, which has one
    writer at a time, the same code is trivially ordered.

    Idempotent twice over: the outbox records (consumer, event) in the same transaction, and the
    CloudEvent id is unique in the feed."""
    event = {k: v for k, v in payload.items() if k != "event_id"}
    found = change_event_type(event["type"])
    if found is None:  # the declaration was removed: fail, keep the event for a later delivery
        raise ChangeEventInvalid(f"no registry declares {event['type']!r}")
    descriptor, declared = found
    code = descriptor.code
    counter = FeedCounter.objects.filter(registry=code)
    if not counter.update(last_position=F("last_position") + 1):
        FeedCounter.objects.get_or_create(registry=code)  # the registry's first event
        counter.update(last_position=F("last_position") + 1)
    position = counter.values_list("last_position", flat=True).get()
    FeedEntry.objects.create(
        registry=code,
        position=position,
        event_id=event["id"],
        type=event["type"],
        subject=event["subject"],
        personal=declared.personal,
        cloudevent=event,
    )


def feed_consumers_register() -> None:
    """Make `feed_append` a consumer of every change-event type the registries declare."""
    for descriptor in registry_descriptors().values():
        for declared in descriptor.change_events:
            consumer(declared.type)(feed_append)
