"""The request a `login_required` view receives, for the type checker.

Django's HttpRequest says `user` is a User or an AnonymousUser; behind `login_required` it is
always a User, and annotating the view's request with `SignedInRequest` says so once instead of
narrowing `request.user` in every view. Django still builds a plain request: this class is
never instantiated and never checked with isinstance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from qyzmet.identity.models import User


class SignedInRequest(HttpRequest):
    user: User
