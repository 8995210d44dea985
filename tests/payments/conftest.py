"""The `test` payment provider: a real plug-in (registered like any acquirer) that keeps its
charges in memory and signs its webhooks with HMAC-SHA256, so the engine is tested through the
provider interface and real signatures, not through mocks of our own code.

A test plays the payer and the acquirer: `provider.pay(ref)` is the card accepted on the hosted
page, `provider.webhook(ref)` the signed notification the acquirer would post."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Mapping

import pytest
from django.utils import timezone

from qyzmet.payments.providers.base import (
    DECLINED,
    PENDING,
    SUCCEEDED,
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

SECRET = "test-provider-secret"
SIGNATURE_HEADER = "X-Test-Signature"


class _Ledger:
    """The acquirer's books, shared by every instance (the engine makes one per call)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.charges: dict[str, dict] = {}  # provider_ref -> charge
        self.by_key: dict[str, str] = {}  # idempotency key -> provider_ref
        self.refunds: dict[str, dict] = {}  # idempotency key -> refund
        self.create_calls = 0
        self.refund_calls = 0
        self.unavailable = False  # every call raises ProviderUnavailable
        self.refund_outcome = SUCCEEDED
        self.extra_settlement: list[SettlementLine] = []
        self.events = itertools.count(1)
        self.serial = itertools.count(1)


LEDGER = _Ledger()


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register("test")
class TestProvider(PaymentProvider):
    """An in-memory acquirer with a hosted page at https://pay.test/<ref>."""

    hosted = True
    ledger = LEDGER

    def _up(self) -> None:
        if self.ledger.unavailable:
            raise ProviderUnavailable("the test acquirer is down")

    def create(self, request: CreateRequest) -> Created:
        self._up()
        with self.ledger.lock:
            self.ledger.create_calls += 1
            ref = self.ledger.by_key.get(request.idempotency_key)
            if ref is None:  # idempotent on the platform's key, as real acquirers are
                ref = f"t{next(self.ledger.serial):06d}"
                self.ledger.by_key[request.idempotency_key] = ref
                self.ledger.charges[ref] = {
                    "ref": ref,
                    "reference": request.reference,
                    "amount": request.amount,
                    "currency": request.currency,
                    "outcome": PENDING,
                    "failure_code": "",
                    "at": None,
                    "webhook_url": request.webhook_url,
                }
        return Created(provider_ref=ref, next_url=f"https://pay.test/{ref}")

    def status(self, provider_ref: str) -> Status:
        self._up()
        charge = self.ledger.charges.get(provider_ref)
        if charge is None:
            raise ProviderRefused(f"no charge {provider_ref}")
        return self._status(charge)

    @staticmethod
    def _status(charge: dict) -> Status:
        return Status(
            provider_ref=charge["ref"],
            outcome=charge["outcome"],
            amount=charge["amount"],
            currency=charge["currency"],
            at=charge["at"],
            failure_code=charge["failure_code"],
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        self._up()
        with self.ledger.lock:
            self.ledger.refund_calls += 1
            done = self.ledger.refunds.get(request.idempotency_key)
            if done is None:
                done = {
                    "ref": f"r{next(self.ledger.serial):06d}",
                    "charge": request.provider_ref,
                    "amount": request.amount,
                }
                self.ledger.refunds[request.idempotency_key] = done
        return RefundResult(refund_ref=done["ref"], outcome=self.ledger.refund_outcome)

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        given = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE_HEADER.lower(), "")
        secret = str(self.options.get("secret", SECRET))
        if not hmac.compare_digest(given, sign(body, secret)):
            raise WebhookRejected("signature does not verify")
        try:
            data = json.loads(body)
            at = dt.datetime.fromisoformat(data["at"]) if data.get("at") else None
            status = Status(
                provider_ref=str(data["ref"]),
                outcome=str(data["outcome"]),
                amount=int(data["amount"]),
                currency=str(data["currency"]),
                at=at,
                failure_code=str(data.get("failure_code", "")),
            )
            return WebhookEvent(event_id=str(data["event_id"]), status=status)
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("malformed body") from exc

    def settlement(self, day: dt.date) -> list[SettlementLine]:
        self._up()
        lines = [
            SettlementLine(
                provider_ref=c["ref"],
                reference=c["reference"],
                amount=c["amount"],
                currency=c["currency"],
                booked_on=day,
                line_ref=f"s-{c['ref']}",
            )
            for c in self.ledger.charges.values()
            if c["outcome"] == SUCCEEDED and c["at"] is not None
            and timezone.localtime(c["at"]).date() == day  # the acquirer settles in local days
        ]
        return lines + [line for line in self.ledger.extra_settlement if line.booked_on == day]

    # --- the test plays the payer and the acquirer -------------------------------------------

    def pay(self, ref: str, *, outcome: str = SUCCEEDED, at: dt.datetime | None = None,
            failure_code: str = "") -> None:  # fmt: skip
        charge = self.ledger.charges[ref]
        charge["outcome"] = outcome
        charge["failure_code"] = failure_code or ("card_declined" if outcome == DECLINED else "")
        charge["at"] = at or dt.datetime.now(dt.UTC)

    def webhook(self, ref: str, *, outcome: str | None = None, event_id: str | None = None,
                amount: int | None = None, secret: str = SECRET) -> tuple[bytes, dict]:  # fmt: skip
        """The signed body and headers the acquirer would post about charge `ref`."""
        charge = self.ledger.charges.get(ref) or {
            "ref": ref, "amount": amount or 100, "currency": "KZT", "outcome": SUCCEEDED,
            "failure_code": "", "at": dt.datetime.now(dt.UTC),
        }  # fmt: skip
        data = {
            "event_id": event_id or f"ev{next(self.ledger.events)}",
            "ref": ref,
            "outcome": outcome or charge["outcome"],
            "amount": amount if amount is not None else charge["amount"],
            "currency": charge["currency"],
            "at": (charge["at"] or dt.datetime.now(dt.UTC)).isoformat(),
            "failure_code": charge["failure_code"],
        }
        body = json.dumps(data).encode()
        return body, {SIGNATURE_HEADER: sign(body, secret)}


@pytest.fixture
def provider(settings):
    """The `test` provider configured (alongside whatever else is), its books emptied."""
    LEDGER.reset()
    settings.QYZMET_PAYMENT_PROVIDERS = {
        **getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}),
        "test": {"secret": SECRET},
    }
    yield TestProvider({"secret": SECRET})
    LEDGER.reset()
