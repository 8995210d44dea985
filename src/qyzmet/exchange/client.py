"""Calling a service through the gateway as a client subsystem: sign the request, send it
(in-process, or over HTTP when QYZMET_EXCHANGE_GATEWAY_URL is set), verify the gateway's signed
reply. The registry client (`qyzmet.exchange.registry_client.GatewayRegistryClient`) is built
on this.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx

from . import conf, directory, headers, signing
from .gateway import Call, Reply, exchange_call, reply_verify


class GatewayUnreachable(Exception):
    """The gateway itself could not be reached (network error or timeout)."""


class ReplyNotAuthentic(Exception):
    """The reply is not signed by the gateway for this request: do not trust its content."""


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    body: bytes
    request_id: str
    error: str  # the X-Road error code, "" on success


_http: httpx.Client | None = None


def _http_client() -> httpx.Client:
    global _http
    if _http is None:
        _http = httpx.Client(timeout=conf.forward_timeout() + 5)
    return _http


def directory_scope():
    """Pin one validated view of the exchange directory for a block of look-ups and calls (one
    token read in all): for a client that looks up a service id and its key, then calls."""
    return directory.scope()


def exchange_request(
    *,
    client_id: str,
    signer: signing.Signer,
    service_id: str,
    path: str,
    query: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes = b"",
    user_id: str = "",
    purpose: str = "",
    actor: str = "",
    content_type: str = "",
) -> Result:
    """One signed call of `service_id` + `path`; returns the verified reply."""
    qs = urlencode(query or {})
    full_path = f"/r1/{service_id}/{path.lstrip('/')}"
    message_id = uuid.uuid4().hex
    stamp = str(int(time.time()))
    purpose_raw = headers.purpose_encode(purpose) if purpose else ""
    signed = signing.request_string(
        method=method, path=full_path + (f"?{qs}" if qs else ""), body=body, client=client_id,
        message_id=message_id, user_id=user_id, purpose=purpose_raw, timestamp=stamp,
    )  # fmt: skip
    h = {
        headers.CLIENT: client_id, headers.MESSAGE_ID: message_id, headers.TIMESTAMP: stamp,
        headers.KEY_ID: signer.key_id, headers.SIGNATURE: signer.sign(signed),
        headers.USER_ID: user_id, headers.PURPOSE: purpose_raw, headers.ACTOR: actor,
        "Accept": "application/json",
    }  # fmt: skip
    if content_type:
        h["Content-Type"] = content_type
    with directory.scope():  # one directory-token read for the whole in-process exchange
        return _send(method, full_path, qs, h, body, signed, message_id)


def _send(method: str, full_path: str, qs: str, h: dict[str, str], body: bytes, signed: str,
          message_id: str) -> Result:  # fmt: skip
    base = conf.gateway_url()
    if base:
        try:
            response = _http_client().request(
                method, base.rstrip("/") + full_path + (f"?{qs}" if qs else ""),
                headers=h, content=body,
            )  # fmt: skip
        except httpx.HTTPError as exc:
            raise GatewayUnreachable(str(exc)) from exc
        reply = Reply(response.status_code, dict(response.headers), response.content)
    else:
        reply = exchange_call(call=Call(method=method, path=full_path, query=qs,
                                        headers={k.lower(): v for k, v in h.items()},
                                        body=body))  # fmt: skip
    if not reply_verify(reply=reply, request_hash=signing.request_hash(signed),
                        message_id=message_id):  # fmt: skip
        raise ReplyNotAuthentic(f"reply to {full_path} is not signed by the gateway")
    low = {k.lower(): v for k, v in reply.headers.items()}
    return Result(
        status=reply.status, headers=low, body=reply.body,
        request_id=low.get(headers.REQUEST_ID.lower(), ""),
        error=low.get(headers.ERROR.lower(), ""),
    )  # fmt: skip
