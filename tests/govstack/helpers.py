"""Calling the registries as the exchange gateway does: the forwarded headers plus the gateway's
proof (`gateway_proof_headers`), over real HTTP handling by Django's test client."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from qyzmet.exchange import headers as h
from qyzmet.registries.govstack.gateway import gateway_proof_headers

CLIENT_ID = "KZ/GOV/990340020019/qyzmet-portal"
PURPOSE = "application KZ-2026-000001 for service kz.address-certificate"


def gateway_call(
    method: str,
    path: str,
    body: Any = None,
    *,
    user: str = "",
    purpose: str = PURPOSE,
    client_id: str = CLIENT_ID,
    actor: str = "",
    proof: bool = True,
    raw: bytes | None = None,
    extra: dict[str, str] | None = None,
):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    purpose_header = h.purpose_encode(purpose) if purpose else ""
    headers = {h.CLIENT: client_id} if client_id else {}
    if user:
        headers[h.USER_ID] = user
    if purpose_header:
        headers[h.PURPOSE] = purpose_header
    if actor:
        headers[h.ACTOR] = actor
    if proof:
        headers.update(
            gateway_proof_headers(
                method=method, path=path, body=data, client=client_id, user=user,
                purpose_header=purpose_header, actor=actor,
            )
        )  # fmt: skip
    headers.update(extra or {})
    return Client().generic(
        method.upper(), path, data, content_type="application/json", headers=headers
    )


def today() -> dt.date:
    return dt.date.today()
