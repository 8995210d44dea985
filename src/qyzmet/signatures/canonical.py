"""The canonical form of what a person signs: RFC 8785 JSON Canonicalization Scheme (JCS).

Two systems that agree on the JSON value agree on these bytes (sorted keys, no whitespace, UTF-8,
ECMAScript number form), so a signature over a submission can be checked by anyone who has the
submitted JSON, with any JCS implementation. Floats that JSON cannot carry (NaN, infinities) and
non-JSON types are refused rather than silently coerced."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785


class NotCanonicalisable(ValueError):
    pass


def payload_canonical(payload: Any) -> bytes:
    try:
        return rfc8785.dumps(payload)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise NotCanonicalisable(str(exc)) from exc


def payload_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()
