"""How a registry knows that a request came through the exchange gateway, and who asked.

The registries are data owners reached *only* through the gateway: the gateway authenticates the
client subsystem, checks its access right to the service, logs the exchange, and forwards with
the headers of `qyzmet.exchange.headers` (client, end user, purpose, actor). A registry trusts
those headers only when the request carries the gateway's proof; anything else is refused with
401 `gateway.proof_missing` / `gateway.proof_invalid`.

The proof (until the lead wires the gateway's own message signature here): the header
`X-Qyzmet-Gateway-Proof: t=<unix seconds>,sig=<hex>` where `sig` is an HMAC-SHA256, keyed from
the deployment's secret (`settings.QYZMET_GATEWAY_PROOF_KEY`, else derived from SECRET_KEY with
Django's `salted_hmac`), over

    t \\n METHOD \\n path?query (percent-decoded) \\n client \\n user id
      \\n purpose header \\n actor \\n sha256(body)

and at most `PROOF_MAX_AGE` seconds old. The gateway adds it when forwarding with
`gateway_proof_headers(...)`. A deployment whose gateway proves itself differently sets
`settings.QYZMET_GATEWAY_VERIFIER` to a dotted path of `f(request) -> None` that raises
`qyzmet.core.problem.Problem` (401) when the request did not come through the gateway; then the
HMAC proof is not consulted.

Conformance testing (`open_registry_verify`): the GovStack test suite calls a registry directly
with only `Information-Mediator-Client`. A test environment may set
`QYZMET_GATEWAY_VERIFIER = "qyzmet.registries.govstack.gateway.open_registry_verify"`; it lets
direct calls through only for schema-described registries loaded with `"public_test": true` (or
named in `QYZMET_GOVSTACK_OPEN_REGISTRIES`), and hands every other request to
`QYZMET_GOVSTACK_FALLBACK_VERIFIER` (default: the exchange gateway's signature check). The
built-in registries are never opened: they are not schema-described.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from qyzmet.core.problem import Problem
from qyzmet.exchange import headers as h

PROOF = "X-Qyzmet-Gateway-Proof"
META_PROOF = "HTTP_X_QYZMET_GATEWAY_PROOF"
PROOF_MAX_AGE = 300

_META_ALIASES = tuple("HTTP_" + name.upper().replace("-", "_") for name in h.CLIENT_ALIASES)


@dataclass(frozen=True)
class GatewayContext:
    """Who asks, for whom and why, as the gateway forwarded it."""

    client: str  # INSTANCE/CLASS/MEMBER/SUBSYSTEM
    user: str  # the end user (X-Road-UserId): an IIN, or "" when none was given
    purpose: str  # decoded
    actor: str  # who pressed the button (X-Qyzmet-Actor): an IIN or "system"
    request_id: str
    # A direct call to an open public-test registry (`open_registry_verify`), not through the
    # gateway: no end user or purpose is required.
    open_registry: bool = False

    def audit_data(self, fields: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "client": self.client,
            "fields": fields,
            "user": self.user,
            "actor": self.actor,
            "request_id": self.request_id,
        }
        if self.open_registry:
            data["direct"] = True
        return data


def _client_of(request: HttpRequest) -> str:
    for key in _META_ALIASES:
        value = request.META.get(key, "").strip()
        if value:
            return value
    return ""


def _key() -> bytes:
    configured = getattr(settings, "QYZMET_GATEWAY_PROOF_KEY", "")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    return salted_hmac("qyzmet.registries.gateway-proof", "key").digest()


def _message(*, t: str, method: str, path: str, client: str, user: str, purpose: str,
             actor: str, body: bytes) -> bytes:  # fmt: skip
    digest = hashlib.sha256(body or b"").hexdigest()
    # Percent-encoding may differ between the gateway and the framework: compare decoded.
    parts = (t, method.upper(), unquote(path), client, user, purpose, actor, digest)
    return "\n".join(parts).encode()


def gateway_proof_headers(
    *,
    method: str,
    path: str,
    body: bytes = b"",
    client: str,
    user: str = "",
    purpose_header: str = "",
    actor: str = "",
    now: float | None = None,
) -> dict[str, str]:
    """The proof header for a request the gateway forwards. `path` includes the query string;
    `purpose_header` is the purpose exactly as sent (percent-encoded)."""
    t = str(int(now if now is not None else time.time()))
    sig = hmac.new(
        _key(),
        _message(t=t, method=method, path=path, client=client, user=user,
                 purpose=purpose_header, actor=actor, body=body),
        hashlib.sha256,
    ).hexdigest()  # fmt: skip
    return {PROOF: f"t={t},sig={sig}"}


def _hmac_verify(request: HttpRequest, client: str) -> None:
    raw = request.META.get(META_PROOF, "")
    if not raw:
        raise Problem(
            401, "gateway.proof_missing", "Not through the gateway",
            "Registries answer only requests forwarded by the exchange gateway.",
        )  # fmt: skip
    parts = dict(p.split("=", 1) for p in raw.split(",") if "=" in p)
    t, sig = parts.get("t", ""), parts.get("sig", "")
    fresh = t.isdigit() and abs(time.time() - int(t)) <= PROOF_MAX_AGE
    expected = hmac.new(
        _key(),
        _message(
            t=t, method=request.method or "GET", path=request.get_full_path(), client=client,
            user=request.META.get(h.META_USER_ID, ""),
            purpose=request.META.get(h.META_PURPOSE, ""),
            actor=request.META.get(h.META_ACTOR, ""), body=request.body,
        ),
        hashlib.sha256,
    ).hexdigest()  # fmt: skip
    if not fresh or not hmac.compare_digest(expected, sig):
        raise Problem(
            401, "gateway.proof_invalid", "Not through the gateway",
            "The gateway's proof on this request is invalid or expired.",
        )  # fmt: skip


OPEN_MARK = "_qyzmet_govstack_open_registry"
DEFAULT_FALLBACK_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"


def _open_target(request: HttpRequest) -> bool:
    """Whether the request is for a schema-described registry that may be called directly."""
    from .schema_registries import registry_by_database_id, registry_find

    match = request.resolver_match
    if match is None:
        return False
    name = match.kwargs.get("registry")
    if name:
        registry = registry_find(name, match.kwargs.get("version", ""))
    elif match.url_name == "govstack-usage":
        database_id = request.GET.get("DatabaseID") or request.GET.get("databaseId") or ""
        registry = registry_by_database_id(database_id) if database_id else None
    else:
        return False
    if registry is None:
        return False
    opened = getattr(settings, "QYZMET_GOVSTACK_OPEN_REGISTRIES", [])
    return registry.public_test or registry.name in opened


def open_registry_verify(request: HttpRequest) -> None:
    """A `QYZMET_GATEWAY_VERIFIER` for conformance-test environments (see the module doc):
    direct calls reach open public-test registries; everything else needs the gateway."""
    if _open_target(request):
        setattr(request, OPEN_MARK, True)
        return
    fallback = getattr(settings, "QYZMET_GOVSTACK_FALLBACK_VERIFIER", DEFAULT_FALLBACK_VERIFIER)
    if fallback:
        import_string(fallback)(request)
    else:
        _hmac_verify(request, _client_of(request))


def gateway_request_verify(request: HttpRequest) -> GatewayContext:
    """The gateway context of a forwarded request, or Problem 401 when it did not come through
    the gateway, 400 when the client header is missing."""
    client = _client_of(request)
    verifier = getattr(settings, "QYZMET_GATEWAY_VERIFIER", "")
    if verifier:
        import_string(verifier)(request)
    else:
        _hmac_verify(request, client)
    if not client:
        raise Problem(
            400, "gateway.client_missing", "Client missing",
            f"The {h.CLIENT} header (or Information-Mediator-Client) is required.",
        )  # fmt: skip
    return GatewayContext(
        client=client,
        user=request.META.get(h.META_USER_ID, "").strip(),
        purpose=h.purpose_decode(request.META.get(h.META_PURPOSE, "")).strip(),
        actor=request.META.get(h.META_ACTOR, "").strip(),
        request_id=request.META.get(h.META_REQUEST_ID, "")
        or request.META.get(h.META_MESSAGE_ID, ""),
        open_registry=bool(getattr(request, OPEN_MARK, False)),
    )


def personal_read_require(context: GatewayContext) -> None:
    """A read of personal data must say why and for whom: 400 otherwise (issue 3, bad input).
    Direct calls to an open public-test registry (synthetic data) are exempt."""
    if context.open_registry:
        return
    if not context.purpose:
        raise Problem(
            400, "gateway.purpose_required", "Purpose required",
            f"Say why personal data is read: the {h.PURPOSE} header is required.",
        )  # fmt: skip
    if not context.user:
        raise Problem(
            400, "gateway.user_required", "End user required",
            f"Say on whose behalf personal data is read: the {h.USER_ID} header is required.",
        )  # fmt: skip
