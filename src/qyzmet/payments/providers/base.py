"""The contract every payment provider implements, and the registry of providers.

A provider is a class registered under a short code (`@register("sandbox")`). The platform never
sees card data: `create` returns the URL of the provider's hosted page, and the result comes back
by a signed webhook (`webhook_parse`), by polling (`status`) and, at the latest, in the daily
settlement report (`settlement`). Every call that moves money carries an idempotency key chosen
by the platform (one per attempt or refund), so a retried call never charges or refunds twice.

Errors: a provider raises `ProviderUnavailable` when it could not be reached or timed out (the
caller retries later; nothing is known about the outcome) and `ProviderRefused` when it answered
with a definite refusal (bad request, unknown payment). A webhook whose signature does not verify
raises `WebhookRejected`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import ClassVar

# Outcomes of an attempt, as every provider reports them.
PENDING = "pending"  # created or on the hosted page; no result yet
SUCCEEDED = "succeeded"
DECLINED = "declined"  # a definite no (card declined, 3-D Secure failed, cancelled by payer)
EXPIRED = "expired"  # the hosted page timed out without a result
OUTCOMES: tuple[str, ...] = (PENDING, SUCCEEDED, DECLINED, EXPIRED)


class ProviderError(Exception):
    """Base of the errors a provider raises; `from exc` keeps the cause."""


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or did not answer in time: the outcome is unknown."""


class ProviderRefused(ProviderError):
    """The provider answered with a definite refusal (e.g. unknown payment, invalid amount)."""


class WebhookRejected(ProviderError):
    """A webhook whose signature, timestamp or body does not verify; never acted upon."""


@dataclasses.dataclass(frozen=True)
class CreateRequest:
    """What the platform asks a provider to charge: one attempt of one payment."""

    idempotency_key: str  # unique per attempt; a retried create returns the same attempt
    reference: str  # the payment's public reference (also the invoice number)
    amount: int  # minor units (tiyn), > 0
    currency: str  # ISO 4217, "KZT"
    description: str  # shown on the hosted page, in the payer's language
    language: str  # kk | ru | en
    return_url: str  # where the hosted page sends the payer back (success or not)
    webhook_url: str  # where the provider posts the result


@dataclasses.dataclass(frozen=True)
class Created:
    provider_ref: str  # the provider's id of this attempt
    next_url: str  # the hosted page the payer is sent to ("" when none, e.g. pay by reference)


@dataclasses.dataclass(frozen=True)
class Status:
    """What a provider knows of an attempt (from `status` or a webhook)."""

    provider_ref: str
    outcome: str  # one of OUTCOMES
    amount: int
    currency: str
    at: dt.datetime | None = None  # when the provider decided
    failure_code: str = ""  # provider's code for a decline, e.g. "card_declined"


@dataclasses.dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: the provider's event id (for de-duplication) and the status it tells."""

    event_id: str
    status: Status


@dataclasses.dataclass(frozen=True)
class RefundRequest:
    idempotency_key: str
    provider_ref: str  # the attempt that was paid
    amount: int
    currency: str
    reason: str


@dataclasses.dataclass(frozen=True)
class RefundResult:
    refund_ref: str
    outcome: str  # SUCCEEDED | PENDING | DECLINED


@dataclasses.dataclass(frozen=True)
class SettlementLine:
    """One line of a provider's settlement report (or of a bank statement, for pay by reference)."""

    provider_ref: str  # "" when the line names only a reference
    reference: str
    amount: int  # > 0 for money in, < 0 for a refund
    currency: str
    booked_on: dt.date
    line_ref: str  # the line's own id in the report, unique within it


class PaymentProvider:
    """Base class of a provider. Subclasses set `code` (via `@register`) and `hosted` (whether
    the payer is sent to a hosted page) and implement the methods they support; the defaults
    raise `NotImplementedError` so a provider that cannot refund says so loudly."""

    code: ClassVar[str] = ""
    hosted: ClassVar[bool] = True

    def __init__(self, options: Mapping[str, object] | None = None) -> None:
        self.options = dict(options or {})

    def create(self, request: CreateRequest) -> Created:
        raise NotImplementedError

    def status(self, provider_ref: str) -> Status:
        raise NotImplementedError

    def refund(self, request: RefundRequest) -> RefundResult:
        raise NotImplementedError

    def webhook_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise NotImplementedError

    def settlement(self, day: dt.date) -> list[SettlementLine]:
        raise NotImplementedError


_providers: dict[str, type[PaymentProvider]] = {}


def register(code: str) -> Callable[[type[PaymentProvider]], type[PaymentProvider]]:
    """Class decorator: make a provider available under `code`."""

    def add(cls: type[PaymentProvider]) -> type[PaymentProvider]:
        cls.code = code
        _providers[code] = cls
        return cls

    return add


def provider_get(code: str) -> PaymentProvider:
    """The configured instance of provider `code` (options from
    `settings.QYZMET_PAYMENT_PROVIDERS[code]`); KeyError for an unknown code."""
    from django.conf import settings

    cls = _providers[code]
    options = getattr(settings, "QYZMET_PAYMENT_PROVIDERS", {}).get(code, {})
    return cls(options)


def provider_codes() -> tuple[str, ...]:
    return tuple(sorted(_providers))
