"""How API callers authenticate: a bearer token (machine and mobile clients) or the portal's
session cookie (with CSRF). Both resolve to a `User`; endpoints list which they accept."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken, User


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=token_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


bearer = BearerAuth()
session = SessionAuth()
USER_AUTH = [bearer, session]
