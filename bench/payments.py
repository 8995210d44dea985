"""Payments benchmark: signed acquirer webhooks accepted per second by the real server, against
the same server's no-op request rate in the same run, then applied by a real Celery worker.
Target: >= 500 webhooks/s accepted on PostgreSQL.

Each measured webhook is a different payment being paid: `N` payments are created, each with a
pending card attempt at the sandbox acquirer (`provider_ref` known, as after `attempt_start`),
then the load generator posts to `POST /api/v1/payments/webhooks/sandbox` the acquirer's
"payment.succeeded" body for a new attempt each time, signed as the acquirer signs it
(HMAC-SHA256 over "<t>.<body>", `Qyzmet-Signature`).

(a) Accepting: the server verifies the signature, inserts the webhook into the inbox (one
statement), hands a `webhooks_apply` to the broker (Redis when one answers at
QYZMET_BENCH_BROKER_URL, at most one per 50 ms per web process) and answers 200. Only a 200
counts. No worker runs meanwhile, so the accepted webhooks wait in the inbox.
(b) Applying: a Celery worker (prefork, 2 processes, the same settings) is started and runs the
queued `webhooks_apply` tasks, which claim the received rows in batches and apply each (payment
and attempt locked, marked paid, audit row, `payment.succeeded` outbox row). Timed until no
webhook is left received; its rate over the drain, and the time from the worker's start.
Afterwards every accepted webhook must be processed and its payment paid exactly once (paid
payments = succeeded attempts = processed webhooks = `payment.paid` audit rows = outbox
`payment.succeeded` rows, no refund, nothing received or failed).

Also reported for both: CPU per webhook of the server or worker and of the database (the rate
an idle 2-core machine would reach, the machine being shared), and SQL statements per webhook,
counted in-process on the same code path (the accepting request through Django's test client;
the apply as one batch of `webhooks_apply`).
`python -m bench.payments [--smoke] [--db sqlite|postgres|both] [--no-docs]`; from the
orchestrator (`python -m bench --only payments`): `run(smoke=...)` and `markdown(results)`."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs" / "benchmarks-payments.md"
TARGET_PER_S = 500.0
FULL = {"payments": 40_000, "duration": 20.0, "warmup": 2.0, "clients": 8}
SMOKE = {"payments": 3_000, "duration": 3.0, "warmup": 0.5, "clients": 4}
NOOP_PATH = "/static/qyzmet/site.css"
WEBHOOK_PATH = "/api/v1/payments/webhooks/sandbox"
SECRET = "bench-sandbox-secret"
BROKER_URL = os.environ.get("QYZMET_BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")
AMOUNT = 172_500
APPLY_BATCH = 199  # + the accepting request's one: one full `webhooks_apply` batch of 200
DRAIN_TIMEOUT_S = 600.0


def run(*, smoke: bool, dbs: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Measure on each database in its own child process and throwaway database. PostgreSQL is
    the target's database; SQLite is measured too for comparison (smoke: whichever answers)."""
    from bench import databases
    from bench.machine import machine_describe

    sizes = SMOKE if smoke else FULL
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    machine = machine_describe()  # its load average is the one at the start
    wanted = dbs or ("postgres", "sqlite")
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qyzmet-bench-payments-") as scratch:
        for label in wanted:
            if label == "postgres":
                why = databases.postgres_available()
                if why is not None:
                    notes.append(f"PostgreSQL skipped (unreachable: {why})")
                    continue
            maker = databases.sqlite_database if label == "sqlite" else databases.postgres_database
            print(f"[payments/{label}] {sizes['payments']:,} payments…", flush=True)
            out = Path(scratch) / f"{label}.json"
            try:
                with maker() as db_url:
                    _child(label=label, db_url=db_url, out=out, sizes=sizes, scratch=scratch)
                results.append(json.loads(out.read_text()))
            except Exception as exc:
                results.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
    return {
        "benchmark": "payments",
        "mode": "smoke" if smoke else "full",
        "started_at": started.isoformat(),
        "machine": machine,
        "sizes": sizes,
        "target_per_s": TARGET_PER_S,
        "notes": notes,
        "results": results,
    }


def _env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["QYZMET_DATABASE_URL"] = db_url
    env["DJANGO_SETTINGS_MODULE"] = "qyzmet.settings.embedded"
    env["QYZMET_PAYMENT_SANDBOX_SECRET"] = SECRET
    # The bench process itself hands events to an in-memory broker: the statements it counts
    # for one webhook are the request's, not a receipt's issued in-process after it.
    env["QYZMET_CELERY_BROKER_URL"] = "memory://localhost/"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), str(REPO_ROOT / "src"), env.get("PYTHONPATH")])
    )
    return env


def _child(*, label: str, db_url: str, out: Path, sizes: dict[str, Any], scratch: str) -> None:
    command = [
        sys.executable, "-m", "bench.payments", "--child", "--label", label, "--db-url", db_url,
        "--out", str(out), "--scratch", scratch, *[f"--{k}={v}" for k, v in sizes.items()],
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO_ROOT, env=_env(db_url), check=False)
    if completed.returncode != 0 or not out.exists():
        log = Path(scratch) / f"{label}.gunicorn.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"bench.payments child exited {completed.returncode}\n{tail}".strip())


# --- the child process (Django set up) ----------------------------------------------------------


def _broker() -> tuple[str, str]:
    """Redis when it answers (as production has a broker), else the in-memory transport."""
    try:
        import redis

        redis.Redis.from_url(BROKER_URL, socket_connect_timeout=1).ping()
        return BROKER_URL, "redis"
    except Exception:
        return "memory://localhost/", "memory (no Redis answered)"


def _seed(n: int) -> list[tuple[str, str]]:
    """`n` payments due, each with a pending sandbox attempt: (provider_ref, reference)."""
    from django.db import transaction
    from django.utils import timezone

    from qyzmet.payments.models import Payment, PaymentAttempt
    from qyzmet.payments.services import reference_check_digits

    now = timezone.now()
    expires = now + dt.timedelta(hours=72)
    refs: list[tuple[str, str]] = []
    for start in range(0, n, 2000):
        batch = range(start, min(n, start + 2000))
        with transaction.atomic():
            payments = Payment.objects.bulk_create(
                [
                    Payment(
                        reference=(body := f"{1_000_000_000 + i}") + reference_check_digits(body),
                        source_ref=f"bench:{i}",
                        payer_id=1,
                        payer_iin="900517300017",
                        agency_code="kz-mvd",
                        service_code="kz.driving-licence",
                        description={"kk": "Баж", "ru": "Пошлина", "en": "Duty"},
                        language="kk",
                        amount=AMOUNT,
                        expires_at=expires,
                    )
                    for i in batch
                ]
            )
            PaymentAttempt.objects.bulk_create(
                [
                    PaymentAttempt(
                        payment=payment,
                        provider="sandbox",
                        idempotency_key=f"bench-{i}",
                        provider_ref=f"pay_bench{i:08d}",
                        next_url=f"http://127.0.0.1:8025/pay/pay_bench{i:08d}",
                        amount=AMOUNT,
                        poll_at=now + dt.timedelta(hours=1),
                    )
                    for i, payment in zip(batch, payments, strict=True)
                ]
            )
        refs += [(f"pay_bench{i:08d}", p.reference) for i, p in zip(batch, payments, strict=True)]
    return refs


def webhook_body(provider_ref: str, reference: str) -> bytes:
    """The acquirer's "payment.succeeded" webhook for one charge (its own JSON shape)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event = {
        "event_id": f"evt_{provider_ref}",
        "type": "payment.succeeded",
        "created": at,
        "payment": {
            "id": provider_ref,
            "reference": reference,
            "state": "succeeded",
            "amount": AMOUNT,
            "currency": "KZT",
            "description": "Баж",
            "language": "kk",
            "created_at": at,
            "decided_at": at,
            "expires_at": None,
            "failure_code": "",
            "next_url": "",
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()


def signed(body: bytes) -> dict[str, str]:
    t = int(time.time())
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Qyzmet-Signature": f"t={t},v1={mac}"}


def _queries_per_webhook(refs: list[tuple[str, str]]) -> dict[str, Any]:
    """SQL statements of one accepting request through the full stack in-process (Django's test
    client: the same middleware, endpoint and service as the server's; background work goes to
    the in-memory broker here, so nothing is applied), outside the timed part."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    provider_ref, reference = refs.pop()
    body = webhook_body(provider_ref, reference)
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed(body).items()}
    with CaptureQueriesContext(connection) as captured:
        response = client.post(WEBHOOK_PATH, data=body, content_type="application/json", **headers)
    if response.status_code != 200:
        raise RuntimeError(f"the webhook answered {response.status_code}: {response.content!r}")
    statements = [q["sql"] for q in captured.captured_queries]
    return {"count": len(statements), "statements": statements}


def _apply_queries(refs: list[tuple[str, str]], batch: int) -> dict[str, Any]:
    """Statements and in-process CPU per webhook of one `webhooks_apply` batch of `batch`
    webhooks accepted just before (the inbox holds nothing else received)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qyzmet.payments import services

    client = Client()
    for _ in range(batch):
        provider_ref, reference = refs.pop()
        body = webhook_body(provider_ref, reference)
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed(body).items()}
        client.post(WEBHOOK_PATH, data=body, content_type="application/json", **headers)
    cpu0 = time.process_time()
    with CaptureQueriesContext(connection) as captured:
        counts = services.webhooks_apply(limit=batch + 1)
    cpu_ms = (time.process_time() - cpu0) * 1000
    applied = counts["processed"] + counts["ignored"]
    if applied != batch + 1:  # + the one of the accepting request's count
        raise RuntimeError(f"the apply batch applied {counts}, not {batch + 1}")
    kinds: dict[str, int] = {}
    for q in captured.captured_queries:
        word = q["sql"].split(None, 1)[0].upper()
        kinds[word] = kinds.get(word, 0) + 1
    return {
        "batch": applied,
        "per_webhook": round(len(captured.captured_queries) / applied, 2),
        "kinds": kinds,
        "python_cpu_ms_per_webhook": round(cpu_ms / applied, 3),
    }


def _purge(broker_url: str) -> None:
    """Empty the bench broker's default queue (tasks left by an earlier run or by this one)."""
    if not broker_url.startswith("redis"):
        return
    import redis

    client = redis.Redis.from_url(broker_url)
    client.delete("celery", "unacked", "unacked_index")


def _worker_command() -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "qyzmet", "worker", "--pool=prefork",
        "--concurrency=2", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ]  # fmt: skip


def _drain(*, env: dict[str, str], log_path: Path, accepted: int, timeout: float) -> dict:
    """Start a Celery worker on the queued `webhooks_apply` tasks and time it until no webhook
    is left received. The rate is taken from the first webhook it applied (the worker's start,
    Django's set-up, is not the apply's cost) to the last; the time from its start is given."""
    from bench.cpu import cpu_delta, database_backends_cpu, process_tree_cpu
    from bench.server import _stop
    from qyzmet.payments.models import ProviderWebhook

    def left() -> int:
        return ProviderWebhook.objects.filter(state=ProviderWebhook.RECEIVED).count()

    def snapshot(pid: int) -> dict[str, dict[int, float]]:
        return {"worker": process_tree_cpu(pid), "database": database_backends_cpu()}

    waiting = left()
    full_env = {**os.environ, **env, "PYTHONPATH": os.pathsep.join(
        [str(REPO_ROOT), str(REPO_ROOT / "src")])}  # fmt: skip
    with open(log_path, "ab") as log:
        started = time.perf_counter()
        worker = subprocess.Popen(
            _worker_command(), cwd=REPO_ROOT, env=full_env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        first_at = first_left = cpu_first = None
        remaining = waiting
        deadline = started + timeout
        while remaining and time.perf_counter() < deadline:
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited {worker.returncode}")
            time.sleep(0.05)
            remaining = left()
            if first_at is None and remaining < waiting:
                first_at, first_left, cpu_first = time.perf_counter(), remaining, snapshot(
                    worker.pid)  # fmt: skip
        done_at = time.perf_counter()
        cpu = cpu_delta(cpu_first, snapshot(worker.pid)) if cpu_first else {}
    finally:
        _stop(worker)
    applied = (first_left or 0) - remaining
    window = done_at - first_at if first_at else 0.0
    return {
        "waiting_at_start": waiting,
        "left": remaining,
        "from_worker_start_s": round(done_at - started, 2),
        "drain_s": round(window, 2),
        "applied_in_window": applied,
        "rate_per_s": round(applied / window, 1) if window else None,
        "cpu_ms_per_webhook": {
            role: round(seconds / applied * 1000, 3) if applied else None
            for role, seconds in cpu.items()
        },
        "worker": "celery prefork, 2 processes",
        "accepted": accepted,
    }


def _rows_check(expected_min: int) -> dict[str, Any]:
    """Every accepted webhook applied and its payment paid exactly once."""
    from django.db.models import Count

    from qyzmet.audit.models import AuditEntry
    from qyzmet.core.models import OutboxEvent
    from qyzmet.payments.models import Payment, PaymentAttempt, ProviderWebhook, Refund

    by_state = ProviderWebhook.objects.values("state").annotate(n=Count("id"))
    states = {row["state"]: row["n"] for row in by_state}
    rows = {
        "webhooks": sum(states.values()),
        "webhooks_by_state": states,
        "paid": Payment.objects.filter(state=Payment.PAID).count(),
        "succeeded_attempts": (
            PaymentAttempt.objects.filter(state=PaymentAttempt.SUCCEEDED).count()
        ),
        "paid_audit_rows": AuditEntry.objects.filter(action="payment.paid").count(),
        "succeeded_events": OutboxEvent.objects.filter(topic="payment.succeeded").count(),
        "refunds": Refund.objects.count(),
    }
    processed = states.get(ProviderWebhook.PROCESSED, 0)
    rows["consistent"] = (
        processed == rows["webhooks"]  # nothing received, failed or ignored left
        and rows["paid"] == rows["succeeded_attempts"] == processed
        and rows["paid_audit_rows"] == rows["succeeded_events"] == processed
        and rows["refunds"] == 0
        and processed >= expected_min
    )
    return rows


def _measure(sizes: dict[str, Any], label: str, db_url: str, scratch: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.cpu import probe_for
    from bench.load import closed_loop
    from bench.server import ServerConfig, gunicorn_running

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    refs = _seed(sizes["payments"])
    seed_s = round(time.perf_counter() - t0, 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    queries = _queries_per_webhook(refs)
    apply_queries = _apply_queries(refs, APPLY_BATCH)
    in_process = apply_queries["batch"]  # accepted and applied in-process, before the server
    broker_url, broker = _broker()
    _purge(broker_url)
    config = ServerConfig(workers=2, worker_class="gthread", threads=4)
    env = {
        "QYZMET_DATABASE_URL": db_url,
        "QYZMET_DEBUG": "0",
        "QYZMET_PAYMENT_SANDBOX_SECRET": SECRET,
        "QYZMET_CELERY_BROKER_URL": broker_url,
        "DJANGO_SETTINGS_MODULE": "qyzmet.settings.embedded",
    }
    # Every webhook of the run, signed now (the acquirer's signatures are valid for 5 minutes):
    # the load generator then only sends bytes.
    bodies = [webhook_body(ref, reference) for ref, reference in refs]
    prepared = [(body, signed(body)) for body in bodies]
    sequence = itertools.count()
    noop_headers = {"Accept-Language": "kk"}

    def webhook(c: int, n: int):
        i = next(sequence)  # one new charge per request, shared by the clients
        if i >= len(prepared):
            return "POST", WEBHOOK_PATH + "-exhausted", {}, b""
        body, headers = prepared[i]
        return "POST", WEBHOOK_PATH, headers, body

    def warm(c: int, n: int):
        return "GET", WEBHOOK_PATH, noop_headers, None

    def noop(c: int, n: int):
        return "GET", NOOP_PATH, noop_headers, None

    log_path = Path(scratch) / f"{label}.gunicorn.log"
    common = {
        "clients": sizes["clients"],
        "duration": sizes["duration"],
        "warmup": sizes["warmup"],
    }
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    with gunicorn_running(config=config, env=env, log_path=log_path) as server:
        probe = probe_for(server.pid)
        # Each gunicorn worker loads the URLconf and the API on its first API request (seconds
        # of CPU on this machine): done here, untimed, so neither rate below pays for it.
        closed_loop(
            name="warm", base_url=server.url, factory=warm, expect=405,
            **{**common, "duration": max(2.0, common["warmup"]), "warmup": 0.0},
        )  # fmt: skip
        baseline = closed_loop(
            name="noop_static", base_url=server.url, factory=noop, expect=200,
            cpu_probe=probe, **common,
        )  # fmt: skip
        handled = closed_loop(
            name="webhooks", base_url=server.url, factory=webhook, expect=200,
            cpu_probe=probe, **common,
        )  # fmt: skip
        sent = min(next(sequence), len(prepared))
        time.sleep(0.2)  # the last coalesced enqueue (50 ms) leaves before the server stops
    load_after_accept = [round(x, 2) for x in os.getloadavg()]
    drain = _drain(
        env=env, log_path=Path(scratch) / f"{label}.worker.log", accepted=handled.ok,
        timeout=DRAIN_TIMEOUT_S,
    )  # fmt: skip
    _purge(broker_url)  # the outbox deliveries the apply queued (receipts): not measured here
    rows = _rows_check(expected_min=handled.ok + in_process)
    webhooks = handled.summary()
    cpu = {
        role: round(seconds / handled.ok * 1000, 3) if handled.ok else None
        for role, seconds in handled.cpu_s.items()
    }
    cores = os.cpu_count() or 1
    accept_ms = (cpu.get("server") or 0) + (cpu.get("database") or 0)
    apply_cpu = drain["cpu_ms_per_webhook"]
    apply_ms = (apply_cpu.get("worker") or 0) + (apply_cpu.get("database") or 0)
    return {
        "label": label,
        "vendor": connection.vendor,
        "server": config.describe(),
        "broker": broker,
        "seed_s": seed_s,
        "payments": sizes["payments"],
        "noop": {**baseline.summary(), "path": NOOP_PATH},
        "webhooks": {**webhooks, "path": WEBHOOK_PATH},
        "ratio_vs_noop": round(handled.rate / baseline.rate, 3) if baseline.rate else None,
        "cpu_ms_per_webhook": cpu,
        "idle_machine_webhooks_per_s": round(cores * 1000 / accept_ms) if accept_ms else None,
        "queries_per_webhook": queries["count"],
        "statements": queries["statements"],
        "apply_queries": apply_queries,
        "drain": drain,
        "idle_machine_applied_per_s": round(cores * 1000 / apply_ms) if apply_ms else None,
        # Both on the same two cores: every webhook accepted and applied.
        "idle_machine_sustained_per_s": (
            round(cores * 1000 / (accept_ms + apply_ms)) if accept_ms and apply_ms else None
        ),
        "sent": sent,
        "rows": rows,
        "rows_consistent": rows["consistent"] and rows["webhooks"] <= sent + in_process,
        "target_met": handled.rate >= TARGET_PER_S and not handled.errors,
        "load_average_at_start": load_at_start,
        "load_average_after_accepting": load_after_accept,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def markdown(results: dict[str, Any]) -> str:
    """The results section of docs/benchmarks-payments.md."""
    m = results["machine"]
    s = results["sizes"]
    lines = [
        "## Webhooks" + (" (smoke)" if results["mode"] == "smoke" else ""),
        "",
        f"Run: {results['started_at']} ({results['mode']}), {s['payments']:,} payments awaiting "
        f"a webhook, {s['clients']} closed-loop clients, {s['duration']} s per rate after "
        f"{s['warmup']} s warm-up. Target: >= {results['target_per_s']:.0f} webhooks/s accepted "
        "on PostgreSQL.",
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"{m.get('os')}, Python {m.get('python')}, Django {m.get('django')}, gunicorn "
        f"{m.get('gunicorn')}; load average at start {m.get('load_average_at_start')} "
        "(the machine is shared).",
        "",
        "### (a) Accepted by the server",
        "",
        "| database | webhooks accepted/s | p50 / p95 ms | no-op/s (same server, same run) | "
        "accepted ÷ no-op | CPU ms per webhook: server / database / load generator | idle "
        "2-core estimate/s | SQL per accepting request | target met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    done = [r for r in results["results"] if "error" not in r]
    for r in results["results"]:
        if "error" in r:
            lines.append(f"| {r['label']} | error: {r['error'][:300]} |" + " |" * 7)
            continue
        w, n, cpu = r["webhooks"], r["noop"], r["cpu_ms_per_webhook"]
        errors = f" (errors {w['errors']})" if w["errors"] else ""
        lines.append(
            f"| {r['label']} | **{w['rate_per_s']:.0f}**{errors} | {w['p50_ms']} / {w['p95_ms']} "
            f"| {n['rate_per_s']:.0f} | {r['ratio_vs_noop']} "
            f"| {cpu.get('server')} / {cpu.get('database')} / {cpu.get('load_generator')} "
            f"| {r['idle_machine_webhooks_per_s']} | {r['queries_per_webhook']} "
            f"| {'yes' if r['target_met'] else '**no**'} |"
        )
    lines += [
        "",
        "### (b) Applied by a Celery worker",
        "",
        "| database | worker | webhooks waiting | applied/s (drain) | drain s / from the "
        "worker's start s | CPU ms per webhook: worker / database | idle 2-core estimate/s "
        "| SQL per applied webhook (batch of 200) | both on 2 idle cores/s | every payment "
        "paid exactly once |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in done:
        d, q, rows = r["drain"], r["apply_queries"], r["rows"]
        cpu = d["cpu_ms_per_webhook"]
        lines.append(
            f"| {r['label']} | {d['worker']} | {d['waiting_at_start']:,} "
            f"| **{d['rate_per_s']}** | {d['drain_s']} / {d['from_worker_start_s']} "
            f"| {cpu.get('worker')} / {cpu.get('database')} "
            f"| {r['idle_machine_applied_per_s']} | {q['per_webhook']} "
            f"| {r['idle_machine_sustained_per_s']} "
            f"| {rows['paid']:,} paid = {rows['succeeded_attempts']:,} attempts = "
            f"{rows['webhooks_by_state'].get('processed', 0):,} processed, left "
            f"{d['left']} ({'consistent' if r['rows_consistent'] else '**inconsistent**'}) |"
        )
    for r in done:
        lines += ["", f"Server ({r['label']}): {r['server']}; broker: {r['broker']}; load "
                  f"average at the start {r['load_average_at_start']}, after accepting "
                  f"{r['load_average_after_accepting']}, at the end {r['load_average']}; "
                  f"apply statements by kind {r['apply_queries']['kinds']}."]  # fmt: skip
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.payments", description=__doc__)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--no-docs", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--label", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--db-url", help=argparse.SUPPRESS)
    p.add_argument("--scratch", help=argparse.SUPPRESS)
    for key, value in FULL.items():
        p.add_argument(f"--{key}", type=type(value), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        import django

        django.setup()
        sizes = {key: getattr(args, key) for key in FULL}
        result = _measure(sizes, args.label, args.db_url, args.scratch)
        Path(args.out).write_text(json.dumps(result, indent=2))
        return 0
    dbs = ("postgres", "sqlite") if args.db == "both" else (args.db,)
    results = run(smoke=args.smoke, dbs=dbs)
    out_dir = REPO_ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    json_path = out_dir / f"payments-{stamp}{'-smoke' if args.smoke else ''}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    print(f"JSON: {json_path}")
    if not args.smoke and not args.no_docs:
        from bench.cli import _docs_section_write

        _docs_section_write(DOCS, markdown(results))
    return 1 if any("error" in r for r in results["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
