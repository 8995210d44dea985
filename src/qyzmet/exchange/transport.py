"""Forwarding a checked call to the provider's information system.

Two ways, chosen per service by its base URL:

* a path (`/data/population/1.0/facts`) or nothing: dispatched in-process to this server's own
  URLconf. No socket, no second parse of the request by middleware: the view is resolved and
  called with a fresh request, inside a savepoint so that a failing provider cannot break the
  caller's transaction (the view's own, when it declares `isolates_transaction`). The request
  carries `IN_PROCESS_HOP` instead of a hop signature. This is the embedded default and what
  keeps the gateway's overhead low.
* `http(s)://…`: forwarded over HTTP with httpx (a connection pool per process; mutual TLS is
  the production option, configured on the client: docs/exchange.md).
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from dataclasses import dataclass

import httpx
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.urls import Resolver404, resolve

from . import conf

logger = logging.getLogger(__name__)

# Request headers we pass on; everything else (cookies, the caller's authorisation) stays here.
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server",
              "date", "content-encoding"}  # fmt: skip


@dataclass
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes
    error: str = ""  # an X-Road error code when the provider could not be reached


# Set as an attribute (never a header) on the request the transport builds for an in-process
# provider: proof that the call came from this process's gateway, after its checks. An HTTP
# request cannot carry a Python object, so no outside caller can present it.
IN_PROCESS_HOP = object()
HOP_ATTRIBUTE = "_qyzmet_gateway_hop"

_http: httpx.Client | None = None
# Time spent inside in-process provider views (the benchmark splits gateway from provider).
provider_time = {"calls": 0, "cpu": 0.0, "wall": 0.0}


def _client() -> httpx.Client:
    global _http
    if _http is None:
        _http = httpx.Client(timeout=conf.forward_timeout(), follow_redirects=False)
    return _http


def _local(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Forwarded:
    try:
        match = resolve(path)
    except Resolver404:
        return Forwarded(502, {}, b"", "Server.ServerProxy.ServiceFailed.NoRoute")
    environ = {
        "REQUEST_METHOD": method.upper(), "PATH_INFO": path, "SCRIPT_NAME": "",
        "QUERY_STRING": query, "SERVER_NAME": "gateway.internal", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": headers.pop("content-type", "application/octet-stream"),
    }  # fmt: skip
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    request = WSGIRequest(environ)
    request.resolver_match = match
    request.user = AnonymousUser()
    # Django's own flag for a request that skips CSRF (its test client sets it); not in the stubs.
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    setattr(request, HOP_ATTRIBUTE, IN_PROCESS_HOP)
    c0, t0 = time.process_time(), time.perf_counter()
    # A view that runs in its own savepoint (marked `isolates_transaction`) needs no second one.
    isolation = (contextlib.nullcontext() if getattr(match.func, "isolates_transaction", False)
                 else transaction.atomic())  # fmt: skip
    try:
        with isolation:
            response = match.func(request, *match.args, **match.kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
    except Exception:  # the provider failed: the caller gets a gateway error, not a crash
        logger.exception("in-process provider %s failed", path)
        return Forwarded(500, {}, b"", "Server.ServerProxy.ServiceFailed")
    finally:
        provider_time["cpu"] += time.process_time() - c0
        provider_time["wall"] += time.perf_counter() - t0
        provider_time["calls"] += 1
    content = b"".join(response) if response.streaming else response.content
    out = {k: v for k, v in response.items() if k.lower() not in HOP_BY_HOP}
    return Forwarded(response.status_code, out, content)


def _remote(method: str, url: str, query: str, headers: dict[str, str], body: bytes) -> Forwarded:
    try:
        response = _client().request(
            method, url + (f"?{query}" if query else ""), headers=headers, content=body
        )
    except httpx.TimeoutException:
        return Forwarded(504, {}, b"", "Server.ServerProxy.ServiceTimeout")
    except httpx.TransportError as exc:
        logger.warning("provider %s unreachable: %s", url, exc)
        return Forwarded(503, {}, b"", "Server.ServerProxy.NetworkError")
    out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
    return Forwarded(response.status_code, out, response.content)


def forward(*, base_url: str, method: str, path: str, query: str, headers: dict[str, str],
            body: bytes) -> Forwarded:  # fmt: skip
    """Send the call to `base_url` + "/" + `path` and return what the provider answered."""
    target = base_url.rstrip("/") + "/" + path.lstrip("/")
    if base_url.startswith(("http://", "https://")):
        return _remote(method, target, query, headers, body)
    if not base_url:
        return Forwarded(502, {}, b"", "Server.ServerProxy.ServiceFailed.NotConfigured")
    return _local(method, target, query, {k.lower(): v for k, v in headers.items()}, body)
