"""The HTTP headers of the exchange protocol (X-Road REST message protocol, GovStack Information
Mediator flavour), as constants both sides import.

Why a module of its own with no imports: the registries (providers) read these headers to record
who read a person's data and why, and the registry client (a consumer) writes them. Neither may
depend on the gateway's internals, so this file holds only names and the purpose encoding.

What a provider behind the gateway receives on every forwarded call:

* `X-Road-Client`     the client subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`
                      (e.g. `KZ/GOV/990340020019/qyzmet-portal`); the member code is the BIN of the
                      organisation that asks.
* `X-Road-Service`    the service called, `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`.
* `X-Road-Id`         the client's unique message id; `X-Road-Request-Id` the gateway's own id.
* `X-Road-UserId`     the end user on whose behalf the call is made: the citizen's IIN for the
                      once-only evidence fetches (the person whose data is read).
* `X-Road-Purpose`    why the data is read, percent-encoded UTF-8 (`purpose_decode`), e.g.
                      "application KZ-2026-000123 for service police-clearance".
* `X-Qyzmet-Actor`    who pressed the button: an officer's or citizen's IIN, or `system`.

The gateway has already checked the client's signature and access right before it forwards, so a
provider reached only through the gateway may trust these headers.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

# --- client → gateway (and forwarded to the provider) -----------------------------------------
CLIENT = "X-Road-Client"
# Accepted synonyms for CLIENT (GovStack Information Mediator naming).
CLIENT_ALIASES = ("X-Road-Client", "X-GovStack-Client", "Information-Mediator-Client")
MESSAGE_ID = "X-Road-Id"
USER_ID = "X-Road-UserId"
PURPOSE = "X-Road-Purpose"
ACTOR = "X-Qyzmet-Actor"
ISSUE = "X-Road-Issue"

# --- message authentication (both directions) ---------------------------------------------------
TIMESTAMP = "X-Road-Timestamp"
SIGNATURE = "X-Road-Signature"
KEY_ID = "X-Road-Key-Id"

# --- gateway → provider and gateway → client ---------------------------------------------------
SERVICE = "X-Road-Service"
REQUEST_ID = "X-Road-Request-Id"
REQUEST_HASH = "X-Road-Request-Hash"
ERROR = "X-Road-Error"

# Django's request.META keys for the headers a provider reads.
META_CLIENT = "HTTP_X_ROAD_CLIENT"
META_SERVICE = "HTTP_X_ROAD_SERVICE"
META_MESSAGE_ID = "HTTP_X_ROAD_ID"
META_REQUEST_ID = "HTTP_X_ROAD_REQUEST_ID"
META_USER_ID = "HTTP_X_ROAD_USERID"
META_PURPOSE = "HTTP_X_ROAD_PURPOSE"
META_ACTOR = "HTTP_X_QYZMET_ACTOR"

_SAFE = " !#$'()*+,-./:;=?@[]_~"


def purpose_encode(purpose: str) -> str:
    """A purpose in any language as a header value: HTTP headers carry ASCII only."""
    return quote(purpose, safe=_SAFE)


def purpose_decode(value: str) -> str:
    return unquote(value or "")
