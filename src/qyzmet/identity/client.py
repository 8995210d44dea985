"""Who is calling: the client's network address, as rate limits and lockouts count it.

The address is REMOTE_ADDR. Behind reverse proxies that append to X-Forwarded-For, set
QYZMET_TRUSTED_PROXY_COUNT to how many of them stand in front of the web process: the address is
then the one the outermost trusted proxy saw, never a value the client could write itself (the
left end of the header is the client's own text). The default 0 ignores the header.

`ClientAddressMiddleware` keeps the address of the request being served in a context variable,
so a service reached through several layers (signing a decision in `applications`, say) counts
the right client without every caller passing it along.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_current: ContextVar[str] = ContextVar("qyzmet_client_address", default="")


def _valid(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return ""


def client_address_of(request: HttpRequest) -> str:
    """The client's address for this request ("" when unknown)."""
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    proxies = int(getattr(settings, "QYZMET_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0 or not remote:
        return remote
    hops = [h for h in (request.META.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if h]
    # Each trusted proxy appended the address it saw; the last one is REMOTE_ADDR's own client.
    if len(hops) < proxies:
        return remote
    return _valid(hops[-proxies]) or remote


def client_address() -> str:
    """The address of the request being served in this thread/task ("" outside a request)."""
    return _current.get()


class ClientAddressMiddleware:
    """Makes `client_address()` answer for the duration of each request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(client_address_of(request))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
