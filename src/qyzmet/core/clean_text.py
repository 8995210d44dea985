"""What the platform accepts as text: Unicode scalar values sent as valid UTF-8, without U+0000.

Three things get past Python and Django unnoticed and break later, far from where they came in:
- U+0000 (NUL): PostgreSQL refuses it in `text` columns (DataError), so a NUL in a lookup or a
  stored field becomes a server error; SQLite keeps it and other systems cut the text at it.
- lone surrogates (U+D800..U+DFFF on their own): `json.loads` turns the escape "\\ud800" into
  one; the value cannot be encoded as UTF-8, so storing or rendering it fails.
- bytes that are not UTF-8 (including surrogates and NUL written as overlong or CESU-8-style
  byte sequences: UTF-8 decoding in Python refuses both).

The checks are linear and allocation-light (`isascii` first, then a strict encode or decode),
so the request guard can run them on every request of the gateway's hot path.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

Fault = Literal["nul", "surrogate", "not_utf8"]

# A JSON escape that decodes to U+0000 or to a surrogate; only a body that has one needs parsing.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def text_fault(value: str) -> Fault | None:
    """Why `value` is not acceptable text, or None."""
    if "\x00" in value:
        return "nul"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "surrogate"
    return None


def bytes_fault(raw: bytes) -> Fault | None:
    """Why `raw` is not acceptable UTF-8 text, or None."""
    if b"\x00" in raw:
        return "nul"
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return "not_utf8"
    return None


def decoded_fault(value: str) -> Fault | None:
    """For text that Django decoded with errors="replace" (multipart fields): U+FFFD marks bytes
    that were not UTF-8."""
    return text_fault(value) or ("not_utf8" if "\ufffd" in value else None)


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def json_faults(value: Any) -> list[tuple[str, Fault]]:
    """(JSON pointer, fault) for each key or string inside a decoded JSON value. Iterative, so a
    deeply nested document cannot exhaust the stack."""
    found: list[tuple[str, Fault]] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, item = stack.pop()
        if isinstance(item, str):
            fault = text_fault(item)
            if fault:
                found.append((pointer or "/", fault))
        elif isinstance(item, dict):
            for key, child in item.items():
                path = f"{pointer}/{_pointer_part(str(key))}"
                fault = text_fault(key) if isinstance(key, str) else None
                if fault:
                    found.append((path, fault))
                stack.append((path, child))
        elif isinstance(item, list):
            stack.extend((f"{pointer}/{i}", child) for i, child in enumerate(item))
    found.sort()
    return found


def json_body_faults(raw: bytes) -> list[tuple[str, Fault]]:
    """Faults that JSON escapes hide inside a body that is itself valid UTF-8.

    Only a body with an escape of U+0000 or of a surrogate is parsed (a valid pair such as an
    emoji's is then found harmless); one that is not JSON at all is not this check's business."""
    if b"\\u" not in raw or not _SUSPECT_ESCAPE.search(raw):
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return []
    return json_faults(data)
