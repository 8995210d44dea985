"""The `sandbox` client plug-in against the real sandbox process: create (idempotent), status,
refund, settlement, errors mapped to `ProviderUnavailable` / `ProviderRefused`, and webhook
signatures verified (good, tampered, wrong secret, stale, malformed)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from zoneinfo import ZoneInfo

import pytest

from qyzmet.payments.providers.base import (
    CreateRequest,
    ProviderRefused,
    ProviderUnavailable,
    RefundRequest,
    WebhookRejected,
    provider_get,
)
from qyzmet.payments.providers.sandbox import SandboxProvider
from qyzmet.payments.sandbox.server import signature_header
from tests.payments.sandbox_support import (
    SECRET,
    SandboxProcess,
    pay,
)

# The sandbox process and webhook receiver fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]


def _request(sink=None, **overrides) -> CreateRequest:
    values = {
        "idempotency_key": f"attempt-{uuid.uuid4()}",
        "reference": "200000000015",
        "amount": 345_000,
        "currency": "KZT",
        "description": "Государственная пошлина",
        "language": "ru",
        "return_url": "http://127.0.0.1:8000/pay/return/",
        "webhook_url": sink.url if sink else "http://127.0.0.1:9/hook",
    }
    values.update(overrides)
    return CreateRequest(**values)


def test_provider_get_finds_the_plug_in_with_its_settings(settings, sandbox):
    settings.QYZMET_PAYMENT_PROVIDERS = {
        "sandbox": {"base_url": sandbox.url, "secret": SECRET, "timeout": 3}
    }
    provider = provider_get("sandbox")
    assert isinstance(provider, SandboxProvider) and provider.hosted
    assert provider.status(provider.create(_request()).provider_ref).outcome == "pending"


def test_create_is_idempotent_and_status_follows_the_page(sandbox):
    provider = sandbox.provider()
    request = _request()
    created = provider.create(request)
    assert created.next_url == f"{sandbox.url}/pay/{created.provider_ref}"
    assert provider.create(request) == created  # a retried create: the same attempt
    assert provider.create(_request()).provider_ref != created.provider_ref
    before = provider.status(created.provider_ref)
    assert (before.outcome, before.amount, before.currency, before.at) == (
        "pending",
        345_000,
        "KZT",
        None,
    )
    pay(created.next_url, "4000000000000010")
    after = provider.status(created.provider_ref)
    assert (after.outcome, after.failure_code) == ("declined", "insufficient_funds")
    assert after.at is not None and after.at.tzinfo is not None
    assert abs((dt.datetime.now(dt.UTC) - after.at).total_seconds()) < 60


def test_refund_and_settlement_through_the_plug_in(sandbox):
    provider = sandbox.provider()
    created = provider.create(_request(amount=90_000))
    pay(created.next_url, "4000000000000002")
    refund = RefundRequest(
        idempotency_key=f"refund-{uuid.uuid4()}",
        provider_ref=created.provider_ref,
        amount=30_000,
        currency="KZT",
        reason="withdrawn",
    )
    result = provider.refund(refund)
    assert result.outcome == "succeeded"
    assert provider.refund(refund).refund_ref == result.refund_ref  # retried: the same refund
    with pytest.raises(ProviderRefused, match="refund_exceeds_payment"):
        provider.refund(
            RefundRequest(
                idempotency_key=f"refund-{uuid.uuid4()}",
                provider_ref=created.provider_ref,
                amount=60_001,
                currency="KZT",
                reason="too much",
            )
        )
    today = dt.datetime.now(ZoneInfo("Asia/Almaty")).date()
    lines = [
        line for line in provider.settlement(today) if line.provider_ref == created.provider_ref
    ]
    assert sorted(line.amount for line in lines) == [-30_000, 90_000]
    assert all(line.booked_on == today and line.reference == "200000000015" for line in lines)


def test_refusals_are_provider_refused(sandbox):
    provider = sandbox.provider()
    with pytest.raises(ProviderRefused, match="Only KZT"):
        provider.create(_request(currency="USD"))
    with pytest.raises(ProviderRefused, match="payment_not_found"):
        provider.status("pay_unknown")
    with pytest.raises(ProviderRefused, match="unauthorized"):
        SandboxProvider({"base_url": sandbox.url, "secret": "wrong"}).status("pay_x")


def test_a_slow_acquirer_is_unavailable_and_the_retry_finds_the_same_payment(sandbox):
    """The acquirer did the work but answered late: the caller times out, knows nothing, and
    retries with the same key — which finds the payment made, not a second one."""
    sandbox.control(delay_ms=1500)
    request = _request()
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="Timeout"):
        sandbox.provider(timeout=0.5).create(request)
    assert time.monotonic() - started < 1.4
    sandbox.reset()
    created = sandbox.provider().create(request)
    with sandbox.api() as api:
        again = api.post(
            "/v1/payments",
            headers={"Idempotency-Key": request.idempotency_key},
            json={
                "reference": request.reference,
                "amount": request.amount,
                "currency": "KZT",
                "description": request.description,
                "language": request.language,
                "return_url": request.return_url,
                "webhook_url": request.webhook_url,
            },
        )
    assert again.status_code == 200 and again.json()["id"] == created.provider_ref


def test_an_acquirer_that_is_down_is_unavailable(tmp_path):
    down = SandboxProcess(tmp_path).start()
    provider = down.provider(timeout=2)
    down.stop()
    with pytest.raises(ProviderUnavailable, match="ConnectError"):
        provider.create(_request())
    with pytest.raises(ProviderUnavailable, match="no secret"):
        SandboxProvider({"base_url": down.url}).status("pay_x")


def test_webhook_signature_good_bad_and_stale(sandbox, webhook_sink):
    provider = sandbox.provider()
    created = provider.create(_request(webhook_sink))
    pay(created.next_url, "4000000000000002")
    [hook] = webhook_sink.wait_for(created.provider_ref)
    body, headers = hook["body"], hook["headers"]
    assert "Qyzmet-Signature" in headers

    event = provider.webhook_parse(body=body, headers=headers)
    assert event.event_id.startswith("evt_")
    assert (event.status.provider_ref, event.status.outcome, event.status.amount) == (
        created.provider_ref,
        "succeeded",
        345_000,
    )
    # Header names in any case, and as Django's META spells them.
    lower = {k.lower(): v for k, v in headers.items()}
    assert provider.webhook_parse(body=body, headers=lower) == event
    meta = {"HTTP_QYZMET_SIGNATURE": headers["Qyzmet-Signature"]}
    assert provider.webhook_parse(body=body, headers=meta) == event

    tampered = body.replace(b'"succeeded"', b'"declined"')
    with pytest.raises(WebhookRejected, match="does not match"):
        provider.webhook_parse(body=tampered, headers=headers)
    with pytest.raises(WebhookRejected, match="does not match"):
        SandboxProvider({"secret": "another"}).webhook_parse(body=body, headers=headers)
    stale = {
        "Qyzmet-Signature": signature_header(
            secret=SECRET, body=body, timestamp=int(time.time()) - 301
        )
    }
    with pytest.raises(WebhookRejected, match="tolerance"):
        provider.webhook_parse(body=body, headers=stale)
    fresh = {
        "Qyzmet-Signature": signature_header(
            secret=SECRET, body=body, timestamp=int(time.time()) - 200
        )
    }
    assert provider.webhook_parse(body=body, headers=fresh) == event
    for bad in ({}, {"Qyzmet-Signature": "v1=abc"}, {"Qyzmet-Signature": "t=1,v2=abc"}):
        with pytest.raises(WebhookRejected, match="malformed"):
            provider.webhook_parse(body=body, headers=bad)
    with pytest.raises(WebhookRejected, match="no secret"):
        SandboxProvider({}).webhook_parse(body=body, headers=headers)


def test_a_signed_body_that_is_not_an_event_is_rejected(sandbox):
    provider = sandbox.provider()
    for body in (
        b"not json",
        json.dumps({"event_id": "evt_1"}).encode(),
        json.dumps(
            {
                "event_id": "evt_1",
                "payment": {"id": "p", "state": "paid", "amount": 1, "currency": "KZT"},
            }
        ).encode(),
    ):
        headers = {
            "Qyzmet-Signature": signature_header(
                secret=SECRET, body=body, timestamp=int(time.time())
            )
        }
        with pytest.raises(WebhookRejected, match="not understood"):
            provider.webhook_parse(body=body, headers=headers)
