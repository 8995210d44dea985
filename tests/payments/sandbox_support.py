"""The sandbox acquirer as a real subprocess for tests, a webhook receiver to watch what it
sends, and the payer's and the platform's moves (create a payment, pay on the hosted page).
The fixtures built on these are in `sandbox_process.py`.

Each process has its own SQLite file, so `kill()` + `start()` is a crash and a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from qyzmet.payments.providers.sandbox import SandboxProvider

SECRET = "sandbox-test-secret"
ROOT = Path(__file__).resolve().parents[2]
_LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class SandboxProcess:
    """`python -m qyzmet.payments.sandbox` on a free port (kept across restarts)."""

    def __init__(self, workdir: Path, *args: str) -> None:
        self.workdir = workdir
        self.db = workdir / "sandbox.sqlite3"
        self.log = workdir / "sandbox.log"
        self.args = args
        self.port = 0
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> SandboxProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "qyzmet.payments.sandbox",
                    "--port",
                    str(self.port),
                    "--db",
                    str(self.db),
                    "--secret",
                    SECRET,
                    "--webhook-backoff",
                    "0.2",
                    "--webhook-backoff-max",
                    "1",
                    "--webhook-max-attempts",
                    "8",
                    *self.args,
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the sandbox exited:\n{self.output()}")
            match = _LISTENING.search(self.log.read_bytes()[offset:].decode(errors="replace"))
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the sandbox did not start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """`kill -9`: no chance to finish anything."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def api(self, secret: str = SECRET, timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {secret}"}, timeout=timeout
        )

    def control(self, **faults: Any) -> dict[str, Any]:
        with self.api() as api:
            response = api.post("/_control", json=faults)
            response.raise_for_status()
            return response.json()

    def control_state(self) -> dict[str, Any]:
        with self.api() as api:
            return api.get("/_control").json()

    def reset(self) -> None:
        with self.api() as api:
            api.post("/_control/reset").raise_for_status()

    def provider(self, **options: Any) -> SandboxProvider:
        return SandboxProvider({"base_url": self.url, "secret": SECRET, "timeout": 10, **options})


class WebhookSink:
    """A small HTTP server that records every webhook and answers with the statuses it is told
    (`fail_next(503, 503)`, or `down` for 503 until told otherwise)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.down = False
        self.cond = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.cond:
                    status = 503 if sink.down else (sink.statuses.pop(0) if sink.statuses else 200)
                    sink.received.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers.items()),
                            "body": body,
                            "status": status,
                            "at": time.time(),
                        }
                    )
                    sink.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail_next(self, *statuses: int) -> None:
        with self.cond:
            self.statuses.extend(statuses)

    def set_down(self, down: bool) -> None:
        with self.cond:
            self.down = down

    def accepted(self, payment_id: str | None = None) -> list[dict[str, Any]]:
        """The webhooks answered 2xx (in arrival order), each with its parsed JSON as `event`."""
        with self.cond:
            rows = [dict(r, event=json.loads(r["body"])) for r in self.received]
        return [
            r
            for r in rows
            if r["status"] < 300
            and (payment_id is None or r["event"]["payment"]["id"] == payment_id)
        ]

    def wait_for(
        self,
        payment_id: str,
        count: int = 1,
        timeout: float = 15.0,
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.accepted(payment_id)
            if len(got) >= count or time.monotonic() > deadline:
                return got
            with self.cond:
                self.cond.wait(0.1)

    def attempts(self, payment_id: str) -> list[dict[str, Any]]:
        with self.cond:
            rows = [dict(r, event=json.loads(r["body"])) for r in self.received]
        return [r for r in rows if r["event"]["payment"]["id"] == payment_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def payment_body(sink: WebhookSink | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "reference": "100000000017",
        "amount": 172_500,
        "currency": "KZT",
        "description": "Мемлекеттік баж: жүргізуші куәлігі",
        "language": "kk",
        "return_url": "https://portal.example/pay/return?attempt=7",
        "webhook_url": sink.url if sink else "http://127.0.0.1:9/hook",
    }
    body.update(overrides)
    return body


def card_fields(number: str, **overrides: str) -> dict[str, str]:
    year = (dt.date.today().year + 3) % 100
    fields = {"card_number": number, "expiry": f"08/{year:02d}", "cvc": "123", "name": "A Test"}
    fields.update(overrides)
    return fields


def payment_new(
    sandbox: SandboxProcess, sink: WebhookSink | None = None, *, key: str = "", **overrides: Any
) -> dict[str, Any]:
    key = key or f"key-{time.time_ns()}"
    with sandbox.api() as api:
        response = api.post(
            "/v1/payments", json=payment_body(sink, **overrides), headers={"Idempotency-Key": key}
        )
    assert response.status_code == 201, response.text
    return response.json()


def payment_state(sandbox: SandboxProcess, payment_id: str) -> dict[str, Any]:
    with sandbox.api() as api:
        response = api.get(f"/v1/payments/{payment_id}")
    assert response.status_code == 200, response.text
    return response.json()


def pay(next_url: str, number: str, **overrides: str) -> httpx.Response:
    """The payer on the hosted page: open it, submit the card (no redirect followed)."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(next_url)
        assert page.status_code == 200, page.text
        return browser.post(next_url, data=card_fields(number, **overrides))
