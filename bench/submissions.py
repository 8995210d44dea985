"""Benchmark 1a: applications submitted per second through the API, against the same server's
no-op request rate measured in the same run.

What one submission is: bearer-token lookup, the idempotency check, JSON-Schema validation of
the form, the evidence fetched from the population registry (audited), the application row and
its history row, an audit row, an outbox event and, because background work runs eagerly
in-process in the embedded mode, the consumers of `application.submitted` (the notification and
its SMS) right after the commit, inside the same HTTP request."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from typing import Any

from .load import closed_loop

NOOP_PATH = "/static/qyzmet/site.css"
LIGHT_PATH = "/api/v1/catalog/life-events"
SUBMIT_PATH = "/api/v1/applications"
SUBMIT_BODY = json.dumps(
    {"service_code": "kz.address-certificate", "data": {"purpose": "bank"}, "language": "kk"}
).encode()


def submissions_run(
    *,
    base_url: str,
    tokens: list[str],
    clients: int,
    duration: float,
    warmup: float,
    cpu_probe: Callable[[], dict] | None = None,
) -> dict[str, Any]:
    """No-op baseline, a light API read for context, then the submissions; each for `duration`
    seconds with `clients` concurrent keep-alive clients."""

    def noop(c: int, n: int):
        return "GET", NOOP_PATH, {}, None

    def light(c: int, n: int):
        return "GET", LIGHT_PATH, {"Accept-Language": "kk"}, None

    def submit(c: int, n: int):
        # Spread the load over every citizen: client c takes citizens c, c+clients, ...
        token = tokens[(c + n * clients) % len(tokens)]
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return "POST", SUBMIT_PATH, headers, SUBMIT_BODY

    common = {
        "base_url": base_url,
        "clients": clients,
        "duration": duration,
        "warmup": warmup,
        "cpu_probe": cpu_probe,
    }
    baseline = closed_loop(name="noop_static", factory=noop, expect=200, **common)
    api_read = closed_loop(name="life_events", factory=light, expect=200, **common)
    submitted = closed_loop(name="submissions", factory=submit, expect=201, **common)
    return {
        "idle_machine_estimate_per_s": _idle_estimate(submitted.summary()),
        "noop": {**baseline.summary(), "path": NOOP_PATH},
        "light_api": {**api_read.summary(), "path": LIGHT_PATH},
        "submissions": {**submitted.summary(), "path": SUBMIT_PATH},
        "ratio_vs_noop": round(submitted.rate / baseline.rate, 4) if baseline.rate else None,
        "ratio_vs_light_api": round(submitted.rate / api_read.rate, 4) if api_read.rate else None,
    }


def _idle_estimate(summary: dict[str, Any]) -> float | None:
    """The rate the machine's cores would sustain if the server and the database had them to
    themselves: cores / (server + database CPU per submission). The load generator's own CPU is
    left out: in production the clients are elsewhere."""
    server = summary.get("server_cpu_ms_per_request")
    database = summary.get("database_cpu_ms_per_request") or 0.0
    if not server:
        return None
    return round((os.cpu_count() or 1) * 1000 / (server + database), 1)
