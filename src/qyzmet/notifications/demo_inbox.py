"""The embedded demo's phone: the clear text of the SMS its outbox channel 'sent', in memory.

The database keeps every SMS with its one-time code masked (`MASK`): a code at rest in clear
would undo storing codes only as HMACs. But a demo user has no phone, so /dev/otp/ must show
the code somewhere. It comes from here: a small, short-lived store in this process's memory that
exists only when settings.QYZMET_DEMO_SMS_INBOX is on (the embedded settings; never in base or
production). Nothing is written to disk; entries expire with the code (QYZMET_OTP_TTL_SECONDS)
and at most `CAPACITY` are kept.

An entry is tied to its outbox row by id *and* creation time, so a row id reused after a rolled
back transaction (SQLite does that) never shows another message's text.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

from django.conf import settings
from django.utils import timezone

MASK = "••••••"
CAPACITY = 200

_lock = threading.Lock()
_texts: OrderedDict[int, tuple[dt.datetime, str]] = OrderedDict()


def demo_inbox_enabled() -> bool:
    return bool(getattr(settings, "QYZMET_DEMO_SMS_INBOX", False))


def masked(text: str, secret: str) -> str:
    """The text as it may be stored: every occurrence of the secret replaced by the mask."""
    return text.replace(secret, MASK) if secret else text


def demo_inbox_keep(*, row_id: int, created_at: dt.datetime, text: str) -> None:
    """Remember the clear text of outbox row `row_id` (only when the demo inbox is on)."""
    if not demo_inbox_enabled():
        return
    with _lock:
        _texts[row_id] = (created_at, text)
        _texts.move_to_end(row_id)
        while len(_texts) > CAPACITY:
            _texts.popitem(last=False)


def demo_inbox_text(*, row_id: int, created_at: dt.datetime) -> str | None:
    """The clear text of an outbox row, if the demo inbox still holds it."""
    if not demo_inbox_enabled():
        return None
    ttl = dt.timedelta(seconds=int(settings.QYZMET_OTP_TTL_SECONDS))
    with _lock:
        entry = _texts.get(row_id)
        if entry is None or entry[0] != created_at:
            return None
        if timezone.now() - created_at > ttl:
            del _texts[row_id]
            return None
        return entry[1]
