"""Input limits of the API contract, declared once and shared by the endpoint modules.

Two kinds of limit: those the API enforces itself (pydantic constraints: the caller gets a 422
`validation_failed` naming the field), and those a service already enforces with a stable error
code and translated words of its own (`text_too_long`, `invalid_iin`, …). The second kind is
declared in the OpenAPI document only (`service_checked`), so the contract states the limit
without a second, differently worded check standing in front of the service's.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

# Primary keys are 64-bit (BigAutoField); a larger number cannot name a row, and SQLite cannot
# even bind it, so ids outside this range are refused as invalid input.
ID_MAX = 2**63 - 1
ObjectId = Annotated[int, Field(ge=1, le=ID_MAX)]

IIN_PATTERN = r"^\d{12}$"
CODE_MAX = 100  # service codes, organisation codes, action names, categories
TEXT_MAX = 5000  # reasons and other free text the services keep
CURSOR_MAX = 200  # opaque page cursors made by core.pagination
TOKEN_MAX = 64  # public ids, request ids, challenges, serial numbers
LIMIT_DESCRIPTION = "Page size; values outside 1..100 are brought into that range"


def service_checked(
    default: Any = ...,
    *,
    max_length: int,
    pattern: str | None = None,
    description: str | None = None,
    **kwargs: Any,
) -> Any:
    """A string field whose length (and pattern) the service enforces with its own error code:
    the limit appears in the OpenAPI document, the service gives the answer."""
    extra: dict[str, Any] = {"maxLength": max_length}
    if pattern is not None:
        extra["pattern"] = pattern

    def declare(schema: dict[str, Any]) -> None:
        # On an optional field the limit belongs to the string branch, not beside the anyOf.
        strings = [s for s in schema.get("anyOf", []) if s.get("type") == "string"]
        for target in strings or [schema]:
            target.update(extra)

    return Field(default, description=description, json_schema_extra=declare, **kwargs)
