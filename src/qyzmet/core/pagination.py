"""Keyset pagination's small shared parts: an opaque cursor (the last row's sort key, base64 JSON)
and the page it belongs to. See ADR 0004: lists page by an indexed key, never by OFFSET."""

from __future__ import annotations

import base64
import json
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


def page_limit(limit: int | None, default: int = 20) -> int:
    return max(1, min(int(limit or default), MAX_PAGE))
