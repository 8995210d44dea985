"""The client of the sandbox card acquirer (`qyzmet payments_sandbox`, payments/sandbox/): the
platform's side of the wire, written as a client of a real acquirer would be.

Options (`settings.QYZMET_PAYMENT_PROVIDERS["sandbox"]`):
  base_url      where the acquirer's API is, e.g. "http://127.0.0.1:8025"
  secret        the API bearer secret, also the webhook signing key (from the environment)
  timeout       seconds per HTTP call (default 5); a slower answer is `ProviderUnavailable`
  webhook_tolerance  seconds a webhook's signed timestamp may be off (default 300)
The hosted page's lifetime is `QYZMET_PAYMENT_PAGE_TIMEOUT_SECONDS`, which `qyzmet
payments_sandbox` passes to the acquirer as its `--page-timeout`.

Errors: no answer, a timeout or a 5xx is `ProviderUnavailable` (the outcome is unknown: retry
with the same idempotency key); a 4xx is `ProviderRefused` with the acquirer's problem detail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from qyzmet.payments.providers.base import (
    OUTCOMES,
    Created,
    CreateRequest,
    PaymentProvider,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    RefundResult,
    SettlementLine,
    Status,
    WebhookEvent,
    WebhookRejected,
    register,
)

SIGNATURE_HEADER = "Qyzmet-Signature"
DEFAULT_TIMEOUT = 5.0
DEFAULT_TOLERANCE = 300


def _moment(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header by name whatever the mapping's case rules (a plain dict, Django's
    `request.headers`, or WSGI `META`)."""
    wanted = name.lower()
    meta = "http_" + wanted.replace("-", "_")
    for key, value in headers.items():
        if key.lower() in (wanted, meta):
            return value
    return ""


def signature_parse(header: str) -> tuple[int, list[str]]:
    """`t=<unix>,v1=<hex>[,v1=<hex>…]` → (timestamp, signatures); several v1 values let an
    acquirer sign with an old and a new secret while the secret is rotated."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookRejected("malformed signature header")
    return timestamp, signatures


def status_from(payment: Mapping[str, Any]) -> Status:
    """The acquirer's payment object as the platform's `Status`."""
    outcome = payment.get("state")
    if outcome not in OUTCOMES:
        raise ProviderRefused(f"unknown payment state {outcome!r}")
    return Status(
        provider_ref=str(payment["id"]),
        outcome=str(outcome),
        amount=int(payment["amount"]),
        currency=str(payment["currency"]),
        at=_moment(payment.get("decided_at")),
        failure_code=str(payment.get("failure_code") or ""),
    )


@register("sandbox")
class SandboxProvider(PaymentProvider):
    """Card payments on the sandbox acquirer's hosted page."""

    hosted = True

    @property
    def base_url(self) -> str:
        return str(self.options.get("base_url", "http://127.0.0.1:8025")).rstrip("/")

    @property
    def secret(self) -> str:
        return str(self.options.get("secret") or "")

    def _number(self, name: str, default: float) -> float:
        value = self.options.get(name, default)
        return float(value) if isinstance(value, int | float | str) else default

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        if not self.secret:
            raise ProviderUnavailable("the sandbox provider has no secret configured")
        headers = {"Authorization": f"Bearer {self.secret}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        timeout = self._number("timeout", DEFAULT_TIMEOUT)
        try:
            response = httpx.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers=headers,
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"sandbox acquirer: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(f"sandbox acquirer answered {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise ProviderUnavailable("sandbox acquirer answered with no JSON") from exc
        if response.status_code >= 400:
            detail = data.get("detail") or data.get("title") or ""
            fields = "; ".join(
                f"{e.get('pointer')}: {e.get('detail')}" for e in data.get("errors") or []
            )
            detail = f"{detail} ({fields})" if fields else detail
            raise ProviderRefused(
                f"sandbox acquirer refused ({response.status_code} {data.get('code')}): {detail}"
            )
        return data

    def create(self, request: CreateRequest) -> Created:
        data = self._request(
            "POST",
            "/v1/payments",
            idempotency_key=request.idempotency_key,
            body={
                "reference": request.reference,
                "amount": request.amount,
                "currency": request.currency,
                "description": request.description,
                "language": request.language,
                "return_url": request.return_url,
                "webhook_url": request.webhook_url,
            },
        )
        return Created(provider_ref=str(data["id"]), next_url=str(data["next_url"]))

    def status(self, provider_ref: str) -> Status:
        return status_from(self._request("GET", f"/v1/payments/{provider_ref}"))

    def refund(self, request: RefundRequest) -> RefundResult:
        data = self._request(
            "POST",
            "/v1/refunds",
            idempotency_key=request.idempotency_key,
            body={
                "payment_id": request.provider_ref,
                "amount": request.amount,
                "reason": request.reason,
            },
        )
        return RefundResult(refund_ref=str(data["id"]), outcome=str(data["state"]))

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature (HMAC-SHA256 of "<t>.<body>", compared in constant time) and
        the timestamp (within the tolerance, against replays), then read the event."""
        if not self.secret:
            raise WebhookRejected("the sandbox provider has no secret configured")
        timestamp, signatures = signature_parse(_header(headers, SIGNATURE_HEADER))
        tolerance = self._number("webhook_tolerance", DEFAULT_TOLERANCE)
        if abs(time.time() - timestamp) > tolerance:
            raise WebhookRejected("signature timestamp outside the tolerance")
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        if not any(hmac.compare_digest(expected, given) for given in signatures):
            raise WebhookRejected("signature does not match")
        try:
            event = json.loads(body)
            status = status_from(event["payment"])
            event_id = str(event["event_id"])
        except (ValueError, KeyError, TypeError, ProviderRefused) as exc:
            raise WebhookRejected(f"webhook body not understood: {exc}") from exc
        if not event_id:
            raise WebhookRejected("webhook without an event id")
        return WebhookEvent(event_id=event_id, status=status)

    def settlement(self, day: dt.date) -> list[SettlementLine]:
        data = self._request("GET", f"/v1/settlements/{day.isoformat()}")
        return [
            SettlementLine(
                provider_ref=str(line["payment_id"]),
                reference=str(line["reference"]),
                amount=int(line["amount"]),
                currency=str(line["currency"]),
                booked_on=day,
                line_ref=str(line["line_ref"]),
            )
            for line in data["lines"]
        ]
