"""The gateway: `{METHOD} /r1/{serviceId}/{path}` — authenticate the client subsystem, check
its right, forward to the provider, sign the answer, log both messages.

The order of the checks, and what each refusal looks like (X-Road-style error codes in the
JSON body `{"type", "message", "detail"}` and the `X-Road-Error` header):

1. client header (`X-Road-Client`, `X-GovStack-Client` or `Information-Mediator-Client`)
   missing or malformed → 400 `Client.InvalidClientIdentifier`; no `X-Road-Id` → 400
   `Client.MissingMessageId`
2. client subsystem not registered → 403 `Server.ServerProxy.UnknownClient`
3. signature missing, with a key not registered for that client, or not verifying → 401
   `Server.ServerProxy.InvalidSignature`; timestamp off by more than 5 minutes → 401
   `Server.ServerProxy.InvalidTimestamp`; an `X-Road-Id` the client used before → 401
   `Server.ServerProxy.ReplayedMessage`
4. no such service → 404 `Server.ServerProxy.UnknownService`
5. no access right → 403 `Server.ServerProxy.AccessDenied`
6. a personal-data service without `X-Road-UserId` → 400 `Client.MissingUserId`, without
   `X-Road-Purpose` → 400 `Client.MissingPurpose`
7. provider unreachable → 503 `Server.ServerProxy.NetworkError`, too slow → 504
   `Server.ServerProxy.ServiceTimeout`, crashed → 500 `Server.ServerProxy.ServiceFailed`

Every call that names a client, refused or not, lands in the message log (request and
response), so an attacker's rejected attempts are on record too.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

from . import conf, directory, headers, logcheck, selectors, signing, transport
from .messagelog import message_log_append
from .models import SeenMessage, Subsystem
from .provider import forwarded_path

METASERVICES = ("listMethods", "allowedMethods", "getOpenAPI")


@dataclass
class Call:
    """One incoming message; `headers` with lower-case names."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _client_header(h: dict[str, str]) -> str:
    for name in headers.CLIENT_ALIASES:
        value = h.get(name.lower())
        if value:
            return value.strip()
    return ""


@dataclass
class _Context:
    request_id: str
    client_id: str = ""
    message_id: str = ""
    user_id: str = ""
    purpose: str = ""
    purpose_raw: str = ""
    signed: str = ""
    signature: str = ""
    key_id: str = ""
    request_hash: str = ""
    service_id: str = ""
    client_pk: int = 0


_NONCE_SQL = (
    "INSERT INTO exchange_seenmessage (client, message_id, seen_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (client, message_id) DO NOTHING"
)


def nonce_claim(*, client_id: str, message_id: str) -> bool:
    """Record `message_id` as used by `client_id`; False when it was used before (a replay).
    One statement: the unique constraint decides, so two racing copies cannot both pass, and
    no savepoint is needed around a failing INSERT (PostgreSQL would abort the transaction)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(_NONCE_SQL, [client_id[:200], message_id[:200], now])
        claimed = cursor.rowcount == 1
    if claimed and random.random() < 0.001:  # now and then forget ids older than any accepted
        nonce_prune()
    return claimed


def nonce_prune() -> int:
    """Forget message ids older than three clock skews: their timestamps are refused anyway."""
    cutoff = timezone.now() - timedelta(seconds=3 * conf.clock_skew_seconds())
    deleted, _ = SeenMessage.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def _authenticate(call: Call, ctx: _Context, snap: directory.Snapshot) -> int:
    """The client subsystem's pk once its signature, timestamp and message id check out."""
    h = call.headers
    if selectors.subsystem_id_parse(ctx.client_id) is None:
        raise Refusal(400, "Client.InvalidClientIdentifier",
                      "Name the client subsystem as INSTANCE/CLASS/MEMBER/SUBSYSTEM in "
                      "X-Road-Client.")  # fmt: skip
    if not ctx.message_id:
        raise Refusal(400, "Client.MissingMessageId", "X-Road-Id is required.")
    key = snap.keys.get(ctx.key_id) if ctx.key_id else None
    if key is None or key.subsystem_id != ctx.client_id:
        if ctx.client_id not in snap.subsystems:
            raise Refusal(403, "Server.ServerProxy.UnknownClient",
                          f"The client {ctx.client_id} is not registered.")  # fmt: skip
        raise Refusal(401, "Server.ServerProxy.InvalidSignature",
                      "Sign the request with a key registered for the client subsystem.")
    try:
        stamp = int(h.get(headers.TIMESTAMP.lower(), ""))
    except ValueError:
        stamp = 0
    if abs(time.time() - stamp) > conf.clock_skew_seconds():
        raise Refusal(401, "Server.ServerProxy.InvalidTimestamp",
                      "X-Road-Timestamp is missing or more than 5 minutes off.")  # fmt: skip
    if not signing.verify(key.public, ctx.signed, ctx.signature):
        raise Refusal(401, "Server.ServerProxy.InvalidSignature",
                      "The request's signature does not verify.")  # fmt: skip
    if not nonce_claim(client_id=ctx.client_id, message_id=ctx.message_id):
        raise Refusal(401, "Server.ServerProxy.ReplayedMessage",
                      "This X-Road-Id was used before: a replayed message.")
    return key.subsystem_pk


def _error_body(code: str, message: str, request_id: str) -> bytes:
    return json.dumps({"type": code, "message": message, "detail": request_id}).encode()


def _metaservice(call: Call, ctx: _Context, provider_id: str, name: str) -> tuple[int, Any]:
    provider = selectors.subsystem_find(xroad_id=provider_id)
    if provider is None:
        raise Refusal(404, "Server.ServerProxy.UnknownService",
                      f"No such provider subsystem: {provider_id}.")  # fmt: skip
    if name == "listMethods":
        return 200, {"service": selectors.methods_list(provider=provider)}
    if name == "allowedMethods":
        client = Subsystem.objects.get(pk=ctx.client_pk)
        return 200, {"service": selectors.methods_allowed(provider=provider, client=client)}
    from urllib.parse import parse_qs

    code = (parse_qs(call.query).get("serviceCode") or [""])[0]
    service = selectors.service_find(xroad_id=f"{provider_id}/{code}") if code else None
    if service is None:
        raise Refusal(404, "Server.ServerProxy.UnknownService",
                      "Name an existing service with ?serviceCode=.")  # fmt: skip
    return 200, service.openapi


def _forward_headers(call: Call, ctx: _Context, service_id: str, target_path: str,
                     gateway: signing.Signer, *, remote: bool) -> dict[str, str]:  # fmt: skip
    """What the provider learns of the call. A remote provider also gets the gateway's hop
    signature (it must tell our calls from anyone else's); an in-process one is handed the call
    by the transport itself, which no outside request can imitate (transport.IN_PROCESS_HOP),
    so signing that hop would only cost a signature and its check per call."""
    out = {k: v for k, v in call.headers.items() if k in transport.FORWARDED_REQUEST_HEADERS}
    stamp = str(int(time.time()))
    out.update({
        headers.CLIENT: ctx.client_id, headers.SERVICE: service_id,
        headers.MESSAGE_ID: ctx.message_id, headers.REQUEST_ID: ctx.request_id,
        headers.USER_ID: ctx.user_id, headers.PURPOSE: ctx.purpose_raw,
        headers.ACTOR: call.headers.get(headers.ACTOR.lower(), ""),
        headers.TIMESTAMP: stamp,
    })  # fmt: skip
    if remote:
        signed = signing.request_string(
            method=call.method, path=forwarded_path(target_path), body=call.body,
            client=ctx.client_id,
            message_id=ctx.message_id, user_id=ctx.user_id, purpose=ctx.purpose_raw,
            timestamp=stamp,
        )  # fmt: skip
        out.update({headers.KEY_ID: gateway.key_id, headers.SIGNATURE: gateway.sign(signed)})
    return out


def _route(call: Call, ctx: _Context, gateway: signing.Signer,
           snap: directory.Snapshot) -> tuple[int, dict, bytes]:  # fmt: skip
    """Authenticated and authorised: run a metaservice or forward to the provider."""
    ctx.client_pk = _authenticate(call, ctx, snap)
    rest = call.path.removeprefix("/r1/")
    parts = rest.split("/", 5)
    if len(parts) == 5 and parts[4] in METASERVICES:
        ctx.service_id = rest
        status, payload = _metaservice(call, ctx, "/".join(parts[:4]), parts[4])
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()
    if len(parts) < 5:
        raise Refusal(404, "Server.ServerProxy.UnknownService",
                      "Call /r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/path.")  # fmt: skip
    ctx.service_id = "/".join(parts[:5])
    subpath = parts[5] if len(parts) == 6 else ""
    service = snap.services.get(ctx.service_id)
    if service is None:
        raise Refusal(404, "Server.ServerProxy.UnknownService",
                      f"No such service: {ctx.service_id}.")  # fmt: skip
    if (service.pk, ctx.client_pk) not in snap.rights:
        raise Refusal(403, "Server.ServerProxy.AccessDenied",
                      f"{ctx.client_id} has no right to call {ctx.service_id}.")  # fmt: skip
    if service.personal_data and not ctx.user_id:
        raise Refusal(400, "Client.MissingUserId",
                      "Personal data: say on whose behalf you ask (X-Road-UserId).")  # fmt: skip
    if service.personal_data and not ctx.purpose.strip():
        raise Refusal(400, "Client.MissingPurpose",
                      "Personal data: say why you ask (X-Road-Purpose).")  # fmt: skip
    base_url = conf.base_url_overrides().get(service.xroad_id) or service.base_url
    target_path = base_url.rstrip("/") + "/" + subpath
    remote = base_url.startswith(("http://", "https://"))
    if remote:
        from urllib.parse import urlsplit

        target_path = urlsplit(target_path).path
    forwarded = transport.forward(
        base_url=base_url, method=call.method, path=subpath, query=call.query,
        headers=_forward_headers(call, ctx, service.xroad_id,
                                 target_path + (f"?{call.query}" if call.query else ""), gateway,
                                 remote=remote),
        body=call.body,
    )  # fmt: skip
    if forwarded.error:
        raise Refusal(forwarded.status, forwarded.error,
                      f"The provider of {ctx.service_id} did not answer.")  # fmt: skip
    return forwarded.status, forwarded.headers, forwarded.body


def exchange_call(*, call: Call) -> Reply:
    """Handle one call end to end; never raises for the caller's mistakes (they are replies)."""
    h = call.headers
    ctx = _Context(
        request_id=uuid.uuid4().hex,
        client_id=_client_header(h),
        message_id=h.get(headers.MESSAGE_ID.lower(), "").strip(),
        user_id=h.get(headers.USER_ID.lower(), "").strip(),
        purpose_raw=h.get(headers.PURPOSE.lower(), ""),
        signature=h.get(headers.SIGNATURE.lower(), ""),
        key_id=h.get(headers.KEY_ID.lower(), ""),
    )
    ctx.purpose = headers.purpose_decode(ctx.purpose_raw)
    path_query = call.path + (f"?{call.query}" if call.query else "")
    ctx.signed = signing.request_string(
        method=call.method, path=path_query, body=call.body, client=ctx.client_id,
        message_id=ctx.message_id, user_id=ctx.user_id, purpose=ctx.purpose_raw,
        timestamp=h.get(headers.TIMESTAMP.lower(), ""),
    )  # fmt: skip
    ctx.request_hash = signing.request_hash(ctx.signed)
    with directory.scope() as snap:
        return _exchange(call, ctx, path_query, snap)


def _exchange(call: Call, ctx: _Context, path_query: str, snap: directory.Snapshot) -> Reply:
    gateway = signing.gateway_signer()
    outcome = "ok"
    try:
        status, out_headers, body = _route(call, ctx, gateway, snap)
    except Refusal as refusal:
        status, outcome = refusal.status, refusal.code
        out_headers = {"Content-Type": "application/json", headers.ERROR: refusal.code}
        body = _error_body(refusal.code, refusal.message, ctx.request_id)
    stamp = str(int(time.time()))
    signed_response = signing.response_string(
        status=status, request_id=ctx.request_id, request_hash=ctx.request_hash, body=body,
        message_id=ctx.message_id, timestamp=stamp,
    )  # fmt: skip
    response_signature = gateway.sign(signed_response)
    out_headers = {
        **out_headers,
        headers.REQUEST_ID: ctx.request_id, headers.REQUEST_HASH: ctx.request_hash,
        headers.MESSAGE_ID: ctx.message_id, headers.CLIENT: ctx.client_id,
        headers.TIMESTAMP: stamp, headers.KEY_ID: gateway.key_id,
        headers.SIGNATURE: response_signature,
    }  # fmt: skip
    if ctx.service_id:
        out_headers[headers.SERVICE] = ctx.service_id
    keep = conf.message_log_bodies()
    common = {"request_id": ctx.request_id, "message_id": ctx.message_id[:200],
              "client": ctx.client_id[:200], "service": ctx.service_id[:260],
              "method": call.method.upper()[:10], "path": path_query,
              "user_id": ctx.user_id[:40], "purpose": ctx.purpose[:500], "outcome": outcome}
    message_log_append(entries=[
        {**common, "direction": "request", "status": 0,
         "body": call.body.decode("utf-8", "replace") if keep else "",
         "body_hash": signing.body_hash(call.body), "signed": ctx.signed,
         "signature": ctx.signature[:200],
         "signer": ctx.key_id if outcome not in _UNSIGNED
         else f"{logcheck.REJECTED}{ctx.key_id}"[:200]},
        {**common, "direction": "response", "status": status,
         # A refusal's body (our own error JSON, no personal data) is always kept: it names
         # the outcome under the gateway's signature, so `outcome` can be checked (logcheck).
         "body": body.decode("utf-8", "replace") if keep or outcome != "ok" else "",
         "body_hash": signing.body_hash(body), "signed": signed_response,
         "signature": response_signature, "signer": gateway.key_id},
    ])  # fmt: skip
    return Reply(status=status, headers=out_headers, body=body)


# Refused requests whose signature is not (or could not be checked as) a valid one: the claimed
# signature is kept for the record, its signer marked "rejected:" so verification skips it.
_UNSIGNED = logcheck.UNSIGNED_OUTCOMES


def reply_verify(*, reply: Reply, request_hash: str, message_id: str) -> bool:
    """The client's check of a gateway reply: signed by the gateway, for this request."""
    h = {k.lower(): v for k, v in reply.headers.items()}
    if h.get(headers.REQUEST_HASH.lower()) != request_hash:
        return False
    gateway = signing.gateway_signer()
    if h.get(headers.KEY_ID.lower()) != gateway.key_id:
        return False
    signed = signing.response_string(
        status=reply.status, request_id=h.get(headers.REQUEST_ID.lower(), ""),
        request_hash=request_hash, body=reply.body, message_id=message_id,
        timestamp=h.get(headers.TIMESTAMP.lower(), ""),
    )  # fmt: skip
    return signing.verify(gateway.public, signed, h.get(headers.SIGNATURE.lower(), ""))
