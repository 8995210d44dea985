"""Reading a registry's change feed: keyset pages by commit-ordered position, opaque cursors."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from .models import FeedEntry

LIMIT_DEFAULT = 100
LIMIT_MAX = 500
_CURSOR_PREFIX = "v1"


class CursorInvalid(ValueError):
    """The cursor was not issued by this registry's feed."""


def cursor_encode(*, registry: str, position: int) -> str:
    """Opaque to subscribers (they must not do arithmetic on it), so the numbering may change
    behind a new prefix; it names its registry so a cursor of one feed is refused by another."""
    raw = f"{_CURSOR_PREFIX}:{registry}:{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(*, registry: str, cursor: str) -> int:
    """The position a cursor stands for; CursorInvalid when it is not one of this feed's."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise CursorInvalid(cursor) from exc
    prefix, _, rest = raw.partition(":")
    owner, _, position = rest.rpartition(":")
    if prefix != _CURSOR_PREFIX or owner != registry or not position.isdigit():
        raise CursorInvalid(cursor)
    return int(position)


@dataclass(frozen=True)
class FeedPage:
    events: list[dict[str, Any]]
    subjects: list[str]  # the persons whose personal data the page carries, in order, once each
    next_cursor: str
    events_of: dict[str, list[str]]  # person's IIN → the ids of the page's events about them


def _persons_in(event: dict[str, Any], subject: str) -> list[str]:
    """Whose personal data one event carries: its subject and every person its data names by
    IIN (a birth names the mother and the father too), so each of them sees the read."""
    data = event.get("data") or {}
    linked = [v for k, v in data.items() if k.endswith("_iin") and isinstance(v, str) and v]
    return list(dict.fromkeys([subject, *linked]))


def feed_page(*, registry: str, after: int, limit: int, type: str | None = None) -> FeedPage:
    """Up to `limit` events of `registry` after position `after`, oldest first (one indexed
    range read). `next_cursor` is the last event's position, or `after` itself when nothing
    newer has committed yet: the subscriber asks again with it later."""
    rows = FeedEntry.objects.filter(registry=registry, position__gt=after)
    if type:
        rows = rows.filter(type=type)
    page = list(
        rows.order_by("position").values_list("position", "cloudevent", "subject", "personal")[
            :limit
        ]
    )
    events_of: dict[str, list[str]] = {}
    for _, event, subject, personal in page:
        if personal:
            for person in _persons_in(event, subject):
                events_of.setdefault(person, []).append(str(event.get("id", "")))
    last = page[-1][0] if page else after
    return FeedPage(
        events=[event for _, event, _, _ in page],
        subjects=list(events_of),
        next_cursor=cursor_encode(registry=registry, position=last),
        events_of=events_of,
    )
