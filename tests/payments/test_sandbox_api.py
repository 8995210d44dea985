"""The sandbox acquirer's API over real HTTP: authentication, idempotency, what it refuses (only
KZT, positive integer amounts), refunds never above what was paid, the settlement report, fault
control's validation, and that the server is not the platform (no Django models loaded)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.payments.sandbox_support import (
    ROOT,
    SECRET,
    pay,
    payment_body,
    payment_new,
)

# The sandbox process and webhook receiver fixtures (conftest.py is the engine's).
pytest_plugins = ["tests.payments.sandbox_process"]


def _paid(sandbox, **overrides) -> dict:
    payment = payment_new(sandbox, **overrides)
    assert pay(payment["next_url"], "4000000000000002").status_code == 303
    return payment


def test_api_needs_the_bearer_secret(sandbox):
    for headers in ({"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SECRET}"}, {}):
        response = httpx.get(f"{sandbox.url}/v1/settlements/2026-01-01", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["code"] == "unauthorized"
    # The hosted page is the payer's: no secret.
    payment = payment_new(sandbox)
    assert httpx.get(payment["next_url"]).status_code == 200


def test_same_idempotency_key_returns_the_same_payment(sandbox):
    body = payment_body()
    with sandbox.api() as api:
        first = api.post("/v1/payments", json=body, headers={"Idempotency-Key": "att-1"})
        again = api.post("/v1/payments", json=body, headers={"Idempotency-Key": "att-1"})
        other = api.post("/v1/payments", json=body, headers={"Idempotency-Key": "att-2"})
        changed = api.post(
            "/v1/payments", json={**body, "amount": 1}, headers={"Idempotency-Key": "att-1"}
        )
        missing = api.post("/v1/payments", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["next_url"] == first.json()["next_url"]
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert changed.status_code == 409 and changed.json()["code"] == "idempotency_key_reused"
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_required"


def test_concurrent_creates_with_one_key_make_one_payment(sandbox):
    body, ids, statuses = payment_body(), [], []

    def create() -> None:
        with sandbox.api() as api:
            response = api.post("/v1/payments", json=body, headers={"Idempotency-Key": "race-1"})
        statuses.append(response.status_code)
        ids.append(response.json()["id"])

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert sorted(statuses) == [200] * 5 + [201]


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"currency": "USD"}, "/currency"),
        ({"amount": 0}, "/amount"),
        ({"amount": -100}, "/amount"),
        ({"amount": 10.5}, "/amount"),
        ({"amount": "100"}, "/amount"),
        ({"amount": True}, "/amount"),
        ({"language": "de"}, "/language"),
        ({"return_url": "javascript:alert(1)"}, "/return_url"),
        ({"webhook_url": "ftp://x"}, "/webhook_url"),
        ({"reference": ""}, "/reference"),
    ],
)
def test_invalid_payment_is_refused_naming_the_field(sandbox, change, pointer):
    with sandbox.api() as api:
        response = api.post(
            "/v1/payments", json=payment_body(**change), headers={"Idempotency-Key": pointer}
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["pointer"] for e in response.json()["errors"]] == [pointer]


def test_bad_json_unknown_payment_and_wrong_method(sandbox):
    with sandbox.api() as api:
        bad = api.post("/v1/payments", content=b"{not json", headers={"Idempotency-Key": "j"})
        unknown = api.get("/v1/payments/pay_000")
        method = api.delete("/v1/payments")
        nowhere = api.get("/v2/anything")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_json")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "payment_not_found")
    assert method.status_code == 405
    assert nowhere.status_code == 404


def test_refunds_never_exceed_what_was_paid(sandbox):
    payment = _paid(sandbox, amount=10_000)
    with sandbox.api() as api:

        def refund(key: str, amount: int) -> httpx.Response:
            return api.post(
                "/v1/refunds",
                headers={"Idempotency-Key": key},
                json={"payment_id": payment["id"], "amount": amount, "reason": "refused"},
            )

        first = refund("r1", 6_000)
        replay = refund("r1", 6_000)
        too_much = refund("r2", 4_001)
        rest = refund("r3", 4_000)
        nothing_left = refund("r4", 1)
        fetched = api.get(f"/v1/refunds/{first.json()['id']}")
    assert first.status_code == 201 and first.json()["state"] == "succeeded"
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert too_much.status_code == 422 and too_much.json()["code"] == "refund_exceeds_payment"
    assert "4000 can still be refunded" in too_much.json()["detail"]
    assert rest.status_code == 201
    assert nothing_left.status_code == 422
    assert fetched.json()["amount"] == 6_000


def test_refund_of_an_unpaid_or_unknown_payment_is_refused(sandbox):
    pending = payment_new(sandbox)
    with sandbox.api() as api:
        not_paid = api.post(
            "/v1/refunds",
            headers={"Idempotency-Key": "rp"},
            json={"payment_id": pending["id"], "amount": 1, "reason": ""},
        )
        unknown = api.post(
            "/v1/refunds",
            headers={"Idempotency-Key": "ru"},
            json={"payment_id": "pay_unknown", "amount": 1, "reason": ""},
        )
        zero = api.post(
            "/v1/refunds",
            headers={"Idempotency-Key": "rz"},
            json={"payment_id": pending["id"], "amount": 0, "reason": ""},
        )
    assert (not_paid.status_code, not_paid.json()["code"]) == (409, "payment_not_refundable")
    assert unknown.status_code == 404
    assert zero.status_code == 422


def test_settlement_lists_the_days_payments_and_refunds(sandbox):
    paid = _paid(sandbox, amount=50_000, reference="300000000011")
    declined = payment_new(sandbox, reference="300000000029")
    pay(declined["next_url"], "4000000000000010")
    pending = payment_new(sandbox, reference="300000000037")
    with sandbox.api() as api:
        refund = api.post(
            "/v1/refunds",
            headers={"Idempotency-Key": "settle-r"},
            json={"payment_id": paid["id"], "amount": 20_000, "reason": "partial"},
        ).json()
        today = dt.datetime.now(ZoneInfo("Asia/Almaty")).date()
        report = api.get(f"/v1/settlements/{today.isoformat()}").json()
        yesterday = api.get(f"/v1/settlements/{today - dt.timedelta(days=1)}").json()
        bad_day = api.get("/v1/settlements/2026-02-30")
    lines = {(line["type"], line["payment_id"]): line for line in report["lines"]}
    assert lines[("payment", paid["id"])]["amount"] == 50_000
    assert lines[("payment", paid["id"])]["reference"] == "300000000011"
    assert lines[("refund", paid["id"])]["amount"] == -20_000
    assert lines[("refund", paid["id"])]["refund_id"] == refund["id"]
    assert ("payment", declined["id"]) not in lines and ("payment", pending["id"]) not in lines
    assert report["total"] == sum(line["amount"] for line in report["lines"])
    assert len({line["line_ref"] for line in report["lines"]}) == len(report["lines"])
    assert all(line["payment_id"] != paid["id"] for line in yesterday["lines"])
    assert bad_day.status_code == 404


def test_control_validates_and_resets(sandbox):
    with sandbox.api() as api:
        bad = api.post("/_control", json={"delay_ms": -1, "drop_webhooks": "yes", "x": 1})
        good = api.post("/_control", json={"duplicate_webhooks": True, "delay_ms": 5})
        state = api.get("/_control").json()
        reset = api.post("/_control/reset").json()
        anonymous = httpx.post(f"{sandbox.url}/_control", json={"drop_webhooks": True})
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/delay_ms", "/drop_webhooks", "/x"}
    assert good.json()["faults"]["duplicate_webhooks"] is True
    assert state["faults"] == {
        "delay_ms": 5,
        "duplicate_webhooks": True,
        "reorder_webhooks": False,
        "drop_webhooks": False,
    }
    assert reset["faults"]["duplicate_webhooks"] is False and reset["faults"]["delay_ms"] == 0
    assert anonymous.status_code == 401


def test_the_sandbox_loads_no_django_model():
    """It is "someone else's" system: importing the server must not set Django up."""
    code = (
        "import sys, qyzmet.payments.sandbox.server;"
        "bad = [m for m in sys.modules if m.startswith('django.db') or m.endswith('.models')"
        " or m.startswith('django.apps')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_management_command_serves_with_settings_defaults(tmp_path):
    """`qyzmet payments_sandbox` takes its secret from the embedded settings."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qyzmet",
            "payments_sandbox",
            "--port",
            "0",
            "--db",
            str(tmp_path / "s.sqlite3"),
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "qyzmet.settings.embedded",
            "HOME": str(tmp_path),
        },
    )
    try:
        # System-check warnings (e.g. next year's index missing) may come first.
        seen = [process.stdout.readline() for _ in range(1)]
        while "listening on" not in seen[-1] and seen[-1] and len(seen) < 30:
            seen.append(process.stdout.readline())
        line = seen[-1]
        assert "Sandbox acquirer listening on http://127.0.0.1:" in line, seen
        url = line.split("listening on ")[1].split()[0]
        demo = "Bearer sandbox-demo-secret-not-for-production"
        assert httpx.get(f"{url}/_control", headers={"Authorization": demo}).status_code == 200
        wrong = {"Authorization": f"Bearer {SECRET}"}
        assert httpx.get(f"{url}/_control", headers=wrong).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
