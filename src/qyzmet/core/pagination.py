"""Keyset pagination's small shared parts: an opaque cursor (the last row's sort key, base64 JSON)
and the page it belongs to. See ADR 0004: lists page by an indexed key, never by OFFSET."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .problem import Problem

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def cursor_encode(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> dict[str, Any]:
    """The position a cursor stands for; 400 problem when it was not made by `cursor_encode`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(position, dict):
            raise ValueError
        return position
    except (ValueError, TypeError) as exc:
        raise Problem(400, "invalid_cursor", "Invalid cursor", "The cursor is malformed.") from exc


def cursor_key(value: Any) -> int:
    """A row id read from a cursor: an integer that fits a 64-bit primary key. A bigger number
    would reach the database and fail there (SQLite raises OverflowError) instead of here."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not an id")
    key = int(value)
    if not 0 <= key < 2**63:
        raise ValueError("id out of range")
    return key


def cursor_read(cursor: str, **fields: Callable[[Any], Any]) -> dict[str, Any]:
    """The named fields of a cursor, each converted by its callable; 400 problem when one is
    missing or does not convert. A cursor is client input: a well-formed base64 JSON object
    with the wrong members must be refused, not reach a query as a KeyError."""
    position = cursor_decode(cursor)
    try:
        return {name: convert(position[name]) for name, convert in fields.items()}
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise Problem(400, "invalid_cursor", "Invalid cursor", "The cursor is malformed.") from exc


def page_limit(limit: int | None, default: int = 20) -> int:
    return max(1, min(int(limit or default), MAX_PAGE))
