"""The provider's side: check that a request really was forwarded by our gateway.

The gateway signs every request it forwards to a remote provider with its own key (signing.py,
the request string with the provider's path and query, percent-decoded); an in-process provider
is handed the request object by the gateway's transport, marked with a Python object that no
HTTP request can carry (`transport.IN_PROCESS_HOP`). `gateway_request_verify` is the
verifier the registries use (`settings.QYZMET_GATEWAY_VERIFIER =
"qyzmet.exchange.provider.gateway_request_verify"`): it raises Problem 401 when the signature is
missing, stale or wrong, so a registry answers only calls that passed the gateway's checks."""

from __future__ import annotations

import time
from urllib.parse import unquote

from django.http import HttpRequest

from qyzmet.core.problem import Problem

from . import conf, headers, signing, transport


def forwarded_path(path_and_query: str) -> str:
    """The form of the path the hop signature covers (decoded: proxies may re-encode)."""
    return unquote(path_and_query)


def gateway_request_verify(request: HttpRequest) -> None:
    if getattr(request, transport.HOP_ATTRIBUTE, None) is transport.IN_PROCESS_HOP:
        return  # handed over by this process's gateway after its checks (transport.py)
    meta = request.META
    signature = meta.get("HTTP_X_ROAD_SIGNATURE", "")
    if not signature:
        raise Problem(401, "gateway.proof_missing", "Not through the gateway",
                      "Registries answer only requests forwarded by the exchange gateway.")
    stamp = meta.get("HTTP_X_ROAD_TIMESTAMP", "")
    gateway = signing.gateway_signer()
    signed = signing.request_string(
        method=request.method or "GET", path=forwarded_path(request.get_full_path()),
        body=request.body, client=meta.get(headers.META_CLIENT, ""),
        message_id=meta.get(headers.META_MESSAGE_ID, ""),
        user_id=meta.get(headers.META_USER_ID, ""), purpose=meta.get(headers.META_PURPOSE, ""),
        timestamp=stamp,
    )  # fmt: skip
    fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= conf.clock_skew_seconds()
    if (not fresh or meta.get("HTTP_X_ROAD_KEY_ID", "") != gateway.key_id
            or not signing.verify(gateway.public, signed, signature)):  # fmt: skip
        raise Problem(401, "gateway.proof_invalid", "Not through the gateway",
                      "The gateway's signature on this request is invalid or expired.")
