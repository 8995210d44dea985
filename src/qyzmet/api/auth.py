"""Signing in to the API: IIN + password, then the SMS code, then a bearer token.

These endpoints take no session cookie, so they need no CSRF token; errors are `Problem`s that
the API assembly renders as problem+json.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from qyzmet.identity.auth import USER_AUTH, bearer
from qyzmet.identity.client import client_address_of
from qyzmet.identity.selectors import user_roles
from qyzmet.identity.services import api_token_issue, api_token_revoke, login_start, login_verify

from .fields import IIN_PATTERN, TOKEN_MAX, service_checked
from .responses import problems

if TYPE_CHECKING:
    from qyzmet.identity.models import User

router = Router(tags=["auth"])


class LoginIn(Schema):
    iin: str = service_checked(max_length=12, pattern=IIN_PATTERN)
    password: str = Field(max_length=1024)


class ChallengeOut(Schema):
    challenge: str
    expires_in: int
    delivery: str


class VerifyIn(Schema):
    challenge: str = Field(max_length=TOKEN_MAX, description="From POST /auth/login")
    code: str = Field(max_length=16, description="The 6 digits of the SMS (spaces ignored)")


class TokenOut(Schema):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int


class MeOut(Schema):
    iin: str
    full_name: str
    language: str
    roles: dict[str, list[str]]


def _client_ip(request: HttpRequest) -> str:
    return client_address_of(request)


@router.post(
    "/login",
    response={202: ChallengeOut, **problems(401, 423, 429)},
    auth=None,
    summary="Start signing in",
)
def login(request: HttpRequest, payload: LoginIn):
    """Check IIN and password; a one-time code goes to the person's phone by SMS. Refusals are
    problem+json: 401 wrong IIN or password, 423 locked (the same for every IIN), 429 with
    Retry-After when too many codes were requested (no SMS is sent)."""
    challenge = login_start(iin=payload.iin, password=payload.password, ip=_client_ip(request))
    return Status(
        202,
        {
            "challenge": challenge.challenge,
            "expires_in": challenge.expires_in,
            "delivery": challenge.delivery,
        },
    )


@router.post(
    "/verify",
    response={200: TokenOut, **problems(401, 423, 429)},
    auth=None,
    summary="Finish signing in",
)
def verify(request: HttpRequest, payload: VerifyIn):
    """Exchange the challenge and the SMS code for a bearer token. 429 with Retry-After once the
    wrong-code budget of the IIN or the address is spent (no code is compared then)."""
    user = login_verify(challenge=payload.challenge, code=payload.code, ip=_client_ip(request))
    return {
        "access_token": api_token_issue(user=user),
        "token_type": "Bearer",
        "expires_in": int(settings.QYZMET_API_TOKEN_TTL_SECONDS),
    }


@router.post("/logout", response={204: None}, auth=[bearer], summary="Revoke this token")
def logout(request: HttpRequest):
    header = request.headers.get("Authorization", "")
    raw = header.split(" ", 1)[1].strip() if " " in header else ""
    api_token_revoke(raw=raw)
    return HttpResponse(status=204)


@router.get("/me", response=MeOut, auth=USER_AUTH, summary="Who am I")
def me(request: HttpRequest):
    # Both authenticators of USER_AUTH leave the signed-in User on request.user (ninja's
    # request.auth, the same object, is not on Django's HttpRequest type).
    user = cast("User", request.user)
    roles = user_roles(user=user)
    return {
        "iin": user.iin,
        "full_name": user.full_name,
        "language": user.language,
        "roles": {org: sorted(r) for org, r in sorted(roles.items())},
    }
