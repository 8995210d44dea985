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
PORTAL_SERVICE = "kz.address-certificate"
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


def _portal_step(counts: dict[str, int], name: str, expect: int, call: Callable, *args: Any):
    """One request of a portal submission, its SQL statements counted under `name`."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = call(*args)
    counts[name] = len(captured.captured_queries)
    if response.status_code != expect:
        raise RuntimeError(f"portal {name}: {response.status_code} {response.content[:500]!r}")
    return response


def _portal_one(client, user, apply_url: str) -> tuple[dict[str, int], float]:
    """One portal submission by `user` signed in on `client`: (statements by step, seconds of
    server work)."""
    import re
    import time

    from qyzmet.notifications.selectors import sms_demo_messages

    client.force_login(user)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    _portal_step(counts, "apply_page", 200, client.get, apply_url)
    form = {"intent": "submit", "idempotency_key": str(uuid.uuid4()), "purpose": "bank"}
    sign_url = _portal_step(counts, "sign_and_submit", 302, client.post, apply_url, form)
    paused = time.perf_counter()
    text = sms_demo_messages(phone=user.phone, limit=1)[0].text  # the phone's part
    match = re.search(r"\b(\d{6})\b", text)
    if match is None:
        raise RuntimeError(f"no code in the SMS to {user.phone}: {text!r}")
    resumed = time.perf_counter()
    signed = _portal_step(
        counts, "code_confirmed", 302, client.post, sign_url["Location"], {"code": match[1]}
    )
    _portal_step(counts, "signed_return", 302, client.get, signed["Location"])
    return counts, (paused - started) + (time.perf_counter() - resumed)


def portal_submissions(*, users: list, count: int) -> dict[str, Any]:
    """Portal submissions as a citizen makes them through the HTML forms, in-process (Django's
    test client: the same views, middleware and templates, no HTTP server): the apply page with
    its registry prefill, "Sign and submit", the SMS code confirmed, the signed return address
    that files the application. Counts the SQL statements of each step and the wall time of the
    whole (one thread: the server's CPU, the database's time and any wait for a core, so cores ÷
    it is a floor of the CPU-bound rate); reading the code from the SMS outbox is the phone's
    part and is not counted."""
    from django.test import Client, override_settings
    from django.urls import reverse

    apply_url = reverse("apply", kwargs={"code": PORTAL_SERVICE})
    # One client for all (each submission signs its citizen in afresh): a new client loads the
    # middleware again on its first request (WhiteNoise scans the static files), which a
    # server does once per process, not per citizen.
    client = Client(headers={"Accept-Language": "kk"})
    totals: dict[str, int] = {}
    seconds = 0.0
    # The quota of signing codes (3 per person per 15 minutes) still runs and is counted, but
    # is set high enough that a benchmark's hundreds of submissions from one address pass.
    with override_settings(QYZMET_SIGN_CODES_PER_WINDOW=10**6, QYZMET_SIGN_CODES_PER_ADDRESS=10**6):
        _portal_one(client, users[-1], apply_url)  # warms the caches; not counted
        for n in range(count):
            counts, spent = _portal_one(client, users[n % len(users)], apply_url)
            seconds += spent
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + value
    per_submission_ms = seconds / count * 1000
    return {
        "submissions": count,
        "service_code": PORTAL_SERVICE,
        "statements_per_submission": round(sum(totals.values()) / count, 1),
        "statements_by_step": {name: round(v / count, 1) for name, v in totals.items()},
        "ms_per_submission_in_process": round(per_submission_ms, 2),
        # As for the API: what the machine's cores would sustain if they did only this.
        "cpu_bound_estimate_per_s": round((os.cpu_count() or 1) * 1000 / per_submission_ms, 1),
    }


def pgbench_run(*, admin_url: str, seconds: float, clients: int) -> dict[str, Any]:
    """pgbench's default read-write transaction (TPC-B-like: three UPDATEs, a SELECT and an
    INSERT) on a scratch database of the same server, with as many clients as the submission
    run: what this machine's PostgreSQL does with nothing of Qyzmet in the way, measured in the
    same run as the submissions so a busy machine shows in both."""
    import re
    import subprocess
    from urllib.parse import urlsplit

    from .databases import _pg_admin

    parts = urlsplit(admin_url)
    name = f"qyzmet_pgbench_{os.getpid()}_{os.urandom(3).hex()}"
    connect = [
        "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
        "-U", parts.username or "postgres",
    ]  # fmt: skip
    env = {**os.environ, **({"PGPASSWORD": parts.password} if parts.password else {})}
    with _pg_admin(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            ["pgbench", *connect, "-i", "-s", "10", "-q", name],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        completed = subprocess.run(
            ["pgbench", *connect, "-c", str(clients), "-j", "2", "-T", str(max(1, round(seconds))),
             name],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        with _pg_admin(admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    match = re.search(r"tps = ([\d.]+)", completed.stdout)
    if match is None:
        raise RuntimeError(f"pgbench printed no tps: {completed.stdout[-500:]}")
    return {
        "tps": round(float(match[1]), 1),
        "clients": clients,
        "seconds": max(1, round(seconds)),
        "scale": 10,
        "transaction": "pgbench default (TPC-B-like read-write)",
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.submissions [--db postgres] [--applications 1000000] [--smoke] ...`: the
    applications benchmark alone (the same as `python -m bench --only applications ...`)."""
    import sys

    from .cli import main as bench_main

    return bench_main(["--only", "applications", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
