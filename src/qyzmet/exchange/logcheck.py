"""Each message-log entry against what was signed: the columns must say what the signed text says.

Why: `entry_hash` only proves that a row matches *itself*. An insider who can lift the triggers
can edit a row and recompute its hash with our own function; until a seal covers the row, the
hash cannot tell. What the insider cannot recompute is a signature. So every column that
carries meaning is read back from a signed text and compared:

* a request row against the request's signed string (signing.py): method, path and query, body
  hash, client, message id, end user (`user_id`), purpose; its `status` must be 0, its
  `service` the one its path names, its `signer` a key of that very client whose signature
  verifies — or "rejected:…" exactly when the outcome is a refusal at authentication;
* a response row against the gateway-signed response string: status, request id, body hash,
  message id, and `at` against the signed timestamp; its signer must be the gateway;
* the pair (same `request_id`): the response's signed `X-Road-Request-Hash` must be the hash of
  the request row's signed string — so even a refused request whose own signature is worthless
  is fixed by the gateway's signature over its reply — and the columns the response repeats
  (client, service, method, path, user id, purpose, message id, outcome, time) must equal the
  request's;
* `outcome` (not in any signed text) must fit what is signed: a refusal code has one status
  (OUTCOME_STATUS) and its error body names it; a refusal's body is always kept (gateway.py),
  and a kept body that is the gateway's error body names the outcome.

A problem is a sentence naming the column, e.g. "user_id differs from the signed request";
messagelog.py prefixes the entry id. Verification and sealing run the same checks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import headers, signing

# Every refusal the gateway answers (gateway.py `Refusal`, transport.py `Forwarded.error`) and
# its HTTP status: the response's status is signed, so a changed outcome must keep its status.
OUTCOME_STATUS: dict[str, int] = {
    "Client.InvalidClientIdentifier": 400,
    "Client.MissingMessageId": 400,
    "Client.MissingUserId": 400,
    "Client.MissingPurpose": 400,
    "Server.ServerProxy.InvalidSignature": 401,
    "Server.ServerProxy.InvalidTimestamp": 401,
    "Server.ServerProxy.ReplayedMessage": 401,
    "Server.ServerProxy.UnknownClient": 403,
    "Server.ServerProxy.AccessDenied": 403,
    "Server.ServerProxy.UnknownService": 404,
    "Server.ServerProxy.ServiceFailed": 500,
    "Server.ServerProxy.ServiceFailed.NoRoute": 502,
    "Server.ServerProxy.ServiceFailed.NotConfigured": 502,
    "Server.ServerProxy.NetworkError": 503,
    "Server.ServerProxy.ServiceTimeout": 504,
}
OK = "ok"
# Refused before the signature was verified: the request's claimed signature is kept for the
# record with its signer marked "rejected:" (it is not checked; the pair check still fixes it).
UNSIGNED_OUTCOMES = frozenset({
    "Client.InvalidClientIdentifier", "Client.MissingMessageId",
    "Server.ServerProxy.UnknownClient", "Server.ServerProxy.InvalidSignature",
    "Server.ServerProxy.InvalidTimestamp",
})  # fmt: skip
# Refused before the gateway looked at the service: `service` stays "".
_BEFORE_ROUTING = UNSIGNED_OUTCOMES | {"Server.ServerProxy.ReplayedMessage"}
REJECTED = "rejected:"
GATEWAY = "gateway"  # the owner of the gateway's keys in VerificationKeys.owner
# The response's `at` is taken right after the gateway signed its timestamp (whole seconds).
AT_BEFORE_STAMP = dt.timedelta(seconds=2)
AT_AFTER_STAMP = dt.timedelta(seconds=60)
# Columns a response row repeats from its request.
PAIR_COLUMNS = ("message_id", "client", "service", "method", "path", "user_id", "purpose",
                "outcome", "at")  # fmt: skip


@dataclass
class VerificationKeys:
    """Public keys by key id, and whose each is: a client subsystem id or GATEWAY."""

    public: dict[str, signing.PublicKey] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SignedRequest:
    method: str
    path: str
    body_hash: str
    client: str
    message_id: str
    user_id: str
    purpose: str  # as sent: percent-encoded
    timestamp: str


@dataclass(frozen=True)
class SignedResponse:
    status: str
    request_id: str
    request_hash: str
    body_hash: str
    message_id: str
    timestamp: str


def request_parse(signed: str) -> SignedRequest | None:
    lines = signed.split("\n")
    if len(lines) != 9 or lines[0] != signing.REQUEST_TAG:
        return None
    return SignedRequest(*lines[1:])


def response_parse(signed: str) -> SignedResponse | None:
    lines = signed.split("\n")
    if len(lines) != 7 or lines[0] != signing.RESPONSE_TAG:
        return None
    return SignedResponse(*lines[1:])


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _service_fits(service: str, path: str, outcome: str) -> bool:
    """The gateway names the service after the first five segments of the path behind /r1/
    once the client is authenticated (gateway._route), and leaves it "" before that."""
    if outcome in _BEFORE_ROUTING:
        return service == ""
    if service == "":
        return outcome == "Server.ServerProxy.UnknownService"
    head = "/r1/" + service
    return (service.count("/") == 4 and path.startswith(head)
            and path[len(head):][:1] in ("", "/", "?"))  # fmt: skip


def _differs(row: dict[str, Any], column: str, expected: Any, what: str) -> list[str]:
    return [] if row.get(column) == expected else [f"{column} differs from the signed {what}"]


def _signature(row: dict[str, Any], keys: VerificationKeys, owner: str) -> list[str]:
    key_id = row.get("signer", "")
    key = keys.public.get(key_id)
    if not row.get("signature"):
        return ["signature missing"]
    if key is None:
        return ["signer: signed with an unknown key"]
    if keys.owner.get(key_id) != owner:
        return [f"signer: the key is not {'the gateway' if owner == GATEWAY else owner}'s"]
    if not signing.verify(key, row.get("signed", ""), row["signature"]):
        return ["signature does not verify"]
    return []


def _body(row: dict[str, Any]) -> list[str]:
    body = row.get("body", "")
    if body and signing.body_hash(body.encode()) != row.get("body_hash"):
        return ["body does not match its hash"]
    return []


def request_problems(row: dict[str, Any], keys: VerificationKeys) -> list[str]:
    signed = request_parse(row.get("signed", ""))
    if signed is None:
        return ["signed text is not a request's (direction or signed text altered)"]
    outcome = row.get("outcome", "")
    out = [
        *_differs(row, "method", signed.method[:10], "request"),
        *_differs(row, "path", signed.path, "request"),
        *_differs(row, "body_hash", signed.body_hash, "request"),
        *_differs(row, "client", signed.client[:200], "request"),
        *_differs(row, "message_id", signed.message_id[:200], "request"),
        *_differs(row, "user_id", signed.user_id[:40], "request"),
        *_differs(row, "purpose", headers.purpose_decode(signed.purpose)[:500], "request"),
        *_body(row),
    ]  # fmt: skip
    if int(row.get("status") or 0) != 0:
        out.append("status differs from the signed request (a request has none)")
    if outcome != OK and outcome not in OUTCOME_STATUS:
        out.append("outcome is not one the gateway gives")
    if not _service_fits(row.get("service", ""), signed.path, outcome):
        out.append("service differs from the signed request's path")
    rejected = row.get("signer", "").startswith(REJECTED)
    if rejected != (outcome in UNSIGNED_OUTCOMES):
        out.append("signer: marked rejected or not against its outcome")
    elif not rejected:
        out += _signature(row, keys, signed.client)
    return out


def _refusal_in(body: str, request_id: str) -> str | None:
    """The error code when `body` is the gateway's own error body for this request."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and set(data) == {"type", "message", "detail"} \
            and data["detail"] == request_id:  # fmt: skip
        return str(data["type"])
    return None


def response_problems(row: dict[str, Any], keys: VerificationKeys) -> list[str]:
    signed = response_parse(row.get("signed", ""))
    if signed is None:
        return ["signed text is not a response's (direction or signed text altered)"]
    out = [
        *_differs(row, "request_id", signed.request_id, "response"),
        *_differs(row, "body_hash", signed.body_hash, "response"),
        *_differs(row, "message_id", signed.message_id[:200], "response"),
        *_body(row),
    ]  # fmt: skip
    if str(int(row.get("status") or 0)) != signed.status:
        out.append("status differs from the signed response")
    at = _moment(row.get("at"))
    try:
        stamp = dt.datetime.fromtimestamp(int(signed.timestamp), tz=dt.UTC)
    except ValueError:
        stamp = None
    if at is None or stamp is None or not (
        stamp - AT_BEFORE_STAMP <= at <= stamp + AT_AFTER_STAMP
    ):  # fmt: skip
        out.append("at differs from the signed response's timestamp")
    outcome = row.get("outcome", "")
    if outcome != OK and OUTCOME_STATUS.get(outcome, -1) != int(row.get("status") or 0):
        out.append(f"outcome differs from the signed response (status {signed.status})")
    body = row.get("body", "")
    if body:
        named = _refusal_in(body, row.get("request_id", ""))
        if (named or OK) != outcome:
            out.append("outcome differs from the signed response's body")
    elif outcome != OK:
        out.append("body missing (the gateway keeps every refusal's body)")
    return out + _signature(row, keys, GATEWAY)


def entry_problems(row: dict[str, Any], keys: VerificationKeys) -> list[str]:
    """The row's own columns against its own signed text and signature."""
    if row.get("direction") == "request":
        return request_problems(row, keys)
    if row.get("direction") == "response":
        return response_problems(row, keys)
    return ["direction is neither request nor response"]


def pair_problems(request: dict[str, Any], response: dict[str, Any]
                  ) -> list[tuple[dict[str, Any], str]]:  # fmt: skip
    """(row, problem) for a request and the response with its request id."""
    out: list[tuple[dict[str, Any], str]] = []
    signed = response_parse(response.get("signed", ""))
    if signed is not None and signing.request_hash(request.get("signed", "")) \
            != signed.request_hash:  # fmt: skip
        out.append((request, f"signed differs from the request hash the gateway signed in its "
                             f"response (entry {response['id']})"))  # fmt: skip
    for column in PAIR_COLUMNS:
        a, b = request.get(column), response.get(column)
        if column == "at":
            a, b = _moment(a), _moment(b)
        if a != b:
            out.append((response, f"{column} differs from its request (entry {request['id']})"))
    return out


class Pairs:
    """Matches requests and responses by request id as rows stream past (a pair's two rows
    are written by one INSERT, so only a few rows wait for their partner at any time)."""

    def __init__(self) -> None:
        self.waiting: dict[tuple[str, str], dict[str, Any]] = {}
        self.done: set[str] = set()

    def add(self, row: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
        direction = row.get("direction", "")
        if direction not in ("request", "response"):
            return []
        rid = row.get("request_id", "")
        other = "response" if direction == "request" else "request"
        if rid in self.done or (rid, direction) in self.waiting:
            return [(row, f"request_id {rid} belongs to another {direction} entry")]
        partner = self.waiting.pop((rid, other), None)
        if partner is None:
            self.waiting[(rid, direction)] = row
            return []
        self.done.add(rid)
        request, response = (row, partner) if direction == "request" else (partner, row)
        return pair_problems(request, response)

    def unmatched(self) -> Iterable[tuple[dict[str, Any], str]]:
        """Rows whose partner never came."""
        for (rid, direction), row in self.waiting.items():
            other = "response" if direction == "request" else "request"
            yield row, f"its {other} entry is missing (request id {rid})"
