"""RFC 9457 problem details: the one error shape of every API.

Services raise `Problem` (or a subclass with a stable `code`); the API layer renders it as
`application/problem+json`. Field errors carry JSON pointers (RFC 6901) to the offending input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass
class FieldError:
    pointer: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"pointer": self.pointer, "detail": self.detail}


@dataclass
class Problem(Exception):
    status: int
    code: str
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # HTTP headers the response carries with this problem (e.g. Retry-After on a 429).
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail or self.title}"

    def as_dict(self, instance: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://qyzmet.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


def not_found(what: str = "resource") -> Problem:
    """404 for both 'absent' and 'not yours': never reveal that someone else's object exists."""
    return Problem(404, "not_found", "Not found", f"No such {what}.")


def forbidden(detail: str = "You may not do this.") -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


def conflict(code: str, detail: str) -> Problem:
    return Problem(409, code, "Conflict", detail)


def validation(errors: list[FieldError], detail: str = "The input is not valid.") -> Problem:
    return Problem(422, "validation_failed", "Validation failed", detail, errors)
