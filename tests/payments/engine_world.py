"""Helpers of the engine tests: a payer, a fee due, an attempt paid through the `test` provider
(tests/payments/conftest.py), and its webhooks posted over HTTP to the real endpoint."""

from __future__ import annotations

import itertools
import uuid

from django.test import Client

from qyzmet.core.models import OutboxEvent
from qyzmet.payments import services
from qyzmet.payments.models import Payment, PaymentAttempt
from tests.identity.factories import UserFactory

_sources = itertools.count(1)
AGENCY = "kz-mvd"
WEBHOOK_URL = "/api/v1/payments/webhooks/test"


def payer():
    return UserFactory()


def require(user=None, **overrides) -> Payment:
    user = user or payer()
    fields = {
        "source_ref": f"application:{900000 + next(_sources)}",
        "payer_id": user.pk,
        "payer_iin": user.iin,
        "agency_code": AGENCY,
        "service_code": "passport",
        "description": {"kk": "Төлқұжат", "ru": "Паспорт", "en": "Passport"},
        "language": "ru",
        "amount": 1_730_000,
    }
    return services.payment_require(**{**fields, **overrides})


def start(payment: Payment, *, key: str | None = None, actor=None) -> PaymentAttempt:
    return services.attempt_start(
        actor=actor,
        payment_public_id=payment.public_id,
        provider="test",
        idempotency_key=key or uuid.uuid4().hex,
        return_url="https://portal.test/back",
    )


def post_webhook(body: bytes, headers: dict[str, str], *, provider: str = "test"):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return Client().post(
        f"/api/v1/payments/webhooks/{provider}",
        data=body,
        content_type="application/json",
        **extra,
    )


def topics(payment: Payment) -> list[str]:
    return [
        e.topic
        for e in OutboxEvent.objects.order_by("created_at", "id")
        if e.payload.get("payment_id") == payment.pk
    ]
