"""The error side of the API contract: one `Problem` schema (RFC 9457) and a helper with which
each operation names the problem statuses it can answer.

Errors never pass through ninja's response validation: services raise `core.problem.Problem`
and the API assembly renders it. Declaring `**problems(404, 409)` in an operation's `response=`
only tells the OpenAPI document (and the clients generated from it) what may come back; the
document is finished by `qyzmet.api.openapi`, which adds the statuses every operation shares
and gives all of them the media type application/problem+json.
"""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import ConfigDict, Field


class ProblemFieldError(Schema):
    """One offending input, located by a JSON pointer (RFC 6901) into the request body."""

    pointer: str = Field(description="JSON pointer to the offending input, e.g. `/iin`")
    detail: str = Field(description="What is wrong with it, in words")


class Problem(Schema):
    """RFC 9457 problem details, the one error shape of the API. Further members may appear
    (RFC 9457 §3.2 extension members); a client must ignore those it does not know."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="URI of the problem kind: https://qyzmet.dev/problems/{code}",
        examples=["https://qyzmet.dev/problems/not_found"],
    )
    title: str = Field(description="Short summary of the problem kind")
    status: int = Field(ge=400, le=599, description="The HTTP status code, repeated")
    code: str = Field(description="Stable machine-readable code (never translated)")
    detail: str = Field("", description="What happened this time, in words")
    instance: str = Field("", description="The request path that met the problem")
    errors: list[ProblemFieldError] = Field(
        [], description="For 422 (and some 400/413/415): the offending inputs"
    )
    restart: bool = Field(
        False, description="Sign-in codes: this challenge is finished, sign in again"
    )
    locked_until: dt.datetime | None = Field(
        None, description="423 account_locked: when signing in is possible again"
    )


# The statuses an operation may declare, with why each one happens (used as the description).
PROBLEM_STATUSES: dict[int, str] = {
    400: "Bad request: the request cannot be read (malformed JSON or form, bytes that are not "
    "text, an invalid cursor or range)",
    401: "Not signed in, or the credentials or code are wrong",
    403: "This person may not do this (or a session cookie came without a valid CSRF token)",
    404: "No such resource, or it is not yours (the two are not told apart)",
    409: "The resource's state does not allow this now",
    410: "Gone: the one-time code has expired; start again",
    413: "The request body or an uploaded file is too large",
    415: "The content type of the body or of an uploaded file is not accepted",
    422: "The input is well-formed but not valid (see `errors` for the JSON pointers)",
    423: "The account is locked after too many wrong passwords (see `locked_until`)",
    429: "Too many attempts: wait for the number of seconds in Retry-After",
    503: "Cannot be done now for a reason the detail names (e.g. `fee_unavailable`: the fee "
    "depends on a year's monthly calculation index the platform does not have yet); nothing "
    "was changed, try again later",
}


def problems(*statuses: int) -> dict[int, type[Problem]]:
    """Response entries for the problem statuses an operation answers beyond the shared ones
    (400 everywhere, 401 with authentication, 403 for CSRF, 413 and 422 with input are added
    to all that fit, by `qyzmet.api.openapi`)."""
    unknown = [s for s in statuses if s not in PROBLEM_STATUSES]
    if unknown:
        raise ValueError(f"no description for problem status(es) {unknown}")
    return dict.fromkeys(statuses, Problem)
