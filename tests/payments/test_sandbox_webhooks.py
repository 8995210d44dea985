"""The sandbox acquirer's webhooks and its faults, against the real process: signed delivery,
retries with backoff, the test card whose webhook is never sent, fault control (duplicate, drop,
reorder, delay), and `kill -9` in the middle of a payment and while webhooks are owed — the
restarted process keeps every payment and resumes sending."""

from __future__ import annotations

import itertools
import time

import httpx

from tests.payments.sandbox_support import (
    card_fields,
    pay,
    payment_body,
    payment_new,
    payment_state,
)

# The sandbox process and webhook receiver fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]


def test_final_state_is_posted_signed(sandbox, webhook_sink):
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000010")
    [hook] = webhook_sink.wait_for(payment["id"])
    event = hook["event"]
    assert event["type"] == "payment.declined"
    assert event["payment"]["state"] == "declined"
    assert event["payment"]["failure_code"] == "insufficient_funds"
    assert event["payment"]["amount"] == 172_500 and event["payment"]["currency"] == "KZT"
    assert hook["headers"]["Content-Type"] == "application/json"
    assert hook["path"] == "/hook"
    event_seen = sandbox.provider().webhook_parse(body=hook["body"], headers=hook["headers"])
    assert event_seen.event_id == event["event_id"]


def test_webhook_retried_with_backoff_until_accepted(sandbox, webhook_sink):
    webhook_sink.fail_next(500, 503, 404)
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000002")
    [hook] = webhook_sink.wait_for(payment["id"])
    tries = webhook_sink.attempts(payment["id"])
    assert [t["status"] for t in tries] == [500, 503, 404, 200]
    assert len({t["event"]["event_id"] for t in tries}) == 1  # the same event each time
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(tries)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.35  # 0.2 s, then 0.4 s: doubling
    # Each try is signed afresh (the timestamp stays within the receiver's tolerance).
    assert sandbox.provider().webhook_parse(body=hook["body"], headers=hook["headers"])


def test_no_webhook_card_succeeds_silently(sandbox, webhook_sink):
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000036")
    assert payment_state(sandbox, payment["id"])["state"] == "succeeded"  # polling finds it
    time.sleep(1.0)
    assert webhook_sink.attempts(payment["id"]) == []
    assert sandbox.control_state()["webhooks"].get("dropped", 0) >= 1


def test_duplicate_webhooks_carry_one_event_id(sandbox, webhook_sink):
    sandbox.control(duplicate_webhooks=True)
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000002")
    hooks = webhook_sink.wait_for(payment["id"], count=2)
    assert len(hooks) == 2
    assert hooks[0]["event"] == hooks[1]["event"]


def test_dropped_webhooks_never_arrive(sandbox, webhook_sink):
    sandbox.control(drop_webhooks=True)
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000002")
    time.sleep(1.0)
    assert webhook_sink.attempts(payment["id"]) == []
    assert payment_state(sandbox, payment["id"])["state"] == "succeeded"
    # Control reset: the next payment's webhook arrives again.
    sandbox.reset()
    other = payment_new(sandbox, webhook_sink)
    pay(other["next_url"], "4000000000000002")
    assert len(webhook_sink.wait_for(other["id"])) == 1


def test_reordered_webhooks_deliver_a_stale_pending_event_after_the_final_one(
    sandbox,
    webhook_sink,
):
    sandbox.control(reorder_webhooks=True)
    payment = payment_new(sandbox, webhook_sink)
    pay(payment["next_url"], "4000000000000002")
    hooks = webhook_sink.wait_for(payment["id"], count=2)
    assert [h["event"]["type"] for h in hooks] == ["payment.succeeded", "payment.created"]
    final, stale = hooks[0]["event"], hooks[1]["event"]
    assert final["event_id"] != stale["event_id"]
    assert stale["created"] < final["created"]  # older news, arriving later
    provider = sandbox.provider()
    statuses = [
        provider.webhook_parse(body=h["body"], headers=h["headers"]).status.outcome for h in hooks
    ]
    assert statuses == ["succeeded", "pending"]


def test_delayed_webhooks_arrive_late(sandbox, webhook_sink):
    sandbox.control(delay_ms=1000)
    payment = payment_new(sandbox, webhook_sink)
    started = time.time()
    with httpx.Client(timeout=10) as browser:
        browser.post(payment["next_url"], data=card_fields("4000000000000002"))
    decided = time.time()
    [hook] = webhook_sink.wait_for(payment["id"])
    assert hook["at"] - decided >= 0.9, hook["at"] - started


def test_kill_9_keeps_every_payment_and_resumes_sending(sandbox_factory, webhook_sink):
    sandbox = sandbox_factory()
    webhook_sink.set_down(True)  # the platform is not answering: webhooks stay owed
    paid = payment_new(sandbox, webhook_sink, key="kill-paid")
    pay(paid["next_url"], "4000000000000002")
    on_challenge = payment_new(sandbox, webhook_sink, key="kill-challenge")
    with httpx.Client() as browser:
        browser.post(on_challenge["next_url"], data=card_fields("4000000000003220"))
    untouched = payment_new(sandbox, webhook_sink, key="kill-untouched")
    assert webhook_sink.wait_for(paid["id"], timeout=2) == []
    assert sandbox.control_state()["webhooks"] == {"queued": 1}

    sandbox.kill()
    assert sandbox.process.returncode == -9
    sandbox.start()

    # Every payment is still there, in the state it had.
    assert payment_state(sandbox, paid["id"])["state"] == "succeeded"
    assert payment_state(sandbox, untouched["id"])["state"] == "pending"
    # The idempotency key still finds the payment made before the crash.
    with sandbox.api() as api:
        again = api.post(
            "/v1/payments",
            headers={"Idempotency-Key": "kill-untouched"},
            json=payment_body(webhook_sink),
        )
    assert again.status_code == 200 and again.json()["id"] == untouched["id"]
    # The payer in the middle of 3-D Secure can finish.
    with httpx.Client() as browser:
        assert 'name="code"' in browser.get(on_challenge["next_url"]).text
        browser.post(on_challenge["next_url"], data={"code": "123456"})
    # The platform answers again: the webhook owed from before the crash is sent, then the new.
    webhook_sink.set_down(False)
    [hook] = webhook_sink.wait_for(paid["id"], timeout=15)
    assert hook["event"]["type"] == "payment.succeeded"
    assert [h["event"]["type"] for h in webhook_sink.wait_for(on_challenge["id"])] == [
        "payment.succeeded"
    ]
    assert sandbox.provider().webhook_parse(body=hook["body"], headers=hook["headers"])
