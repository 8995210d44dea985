"""Payments benchmark: signed acquirer webhooks handled per second by the real server, against
the same server's no-op request rate in the same run. Target: >= 500 webhooks/s on PostgreSQL.

Each measured webhook is a different payment being paid: `N` payments are created, each with a
pending card attempt at the sandbox acquirer (`provider_ref` known, as after `attempt_start`),
then the load generator posts to `POST /api/v1/payments/webhooks/sandbox` the acquirer's
"payment.succeeded" body for a new attempt each time, signed as the acquirer signs it
(HMAC-SHA256 over "<t>.<body>", `Qyzmet-Signature`). The server verifies the signature, stores
the webhook in the inbox, locks the payment, marks attempt and payment paid, writes the audit
row and the `payment.succeeded` outbox row, and answers 200. Only a 200 counts; afterwards the
database must hold exactly one paid payment per counted webhook.

Background work is handed to a broker as in production (Redis when one answers at
QYZMET_BENCH_BROKER_URL, else Celery's in-memory transport): the receipt a worker issues from
`payment.succeeded` is not part of the webhook's request, so it is not measured here.

Also reported: CPU per webhook of the server and of the database (the rate an idle 2-core
machine would reach), and SQL statements per webhook, counted in-process on the same code path.
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


def run(*, smoke: bool, dbs: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Measure on each database in its own child process and throwaway database. PostgreSQL is
    the target's database; SQLite is measured too for comparison (smoke: whichever answers)."""
    from bench import databases
    from bench.machine import machine_describe

    sizes = SMOKE if smoke else FULL
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
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
        "machine": machine_describe(),
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
    """SQL statements of one webhook through the full stack in-process (Django's test client:
    the same middleware, endpoint and service as the server's), outside the timed part."""
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


def _measure(sizes: dict[str, Any], label: str, db_url: str, scratch: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.cpu import probe_for
    from bench.load import closed_loop
    from bench.server import ServerConfig, gunicorn_running
    from qyzmet.payments.models import Payment, PaymentAttempt

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    refs = _seed(sizes["payments"])
    seed_s = round(time.perf_counter() - t0, 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    queries = _queries_per_webhook(refs)
    broker_url, broker = _broker()
    config = ServerConfig(workers=2, worker_class="gthread", threads=4)
    env = {
        "QYZMET_DATABASE_URL": db_url,
        "QYZMET_DEBUG": "0",
        "QYZMET_PAYMENT_SANDBOX_SECRET": SECRET,
        "QYZMET_CELERY_BROKER_URL": broker_url,
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
    paid = Payment.objects.filter(state=Payment.PAID).count()
    succeeded = PaymentAttempt.objects.filter(state=PaymentAttempt.SUCCEEDED).count()
    webhooks = handled.summary()
    cpu = {
        role: round(seconds / handled.ok * 1000, 3) if handled.ok else None
        for role, seconds in handled.cpu_s.items()
    }
    server_db_ms = (cpu.get("server") or 0) + (cpu.get("database") or 0)
    cores = os.cpu_count() or 1
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
        "idle_machine_webhooks_per_s": round(cores * 1000 / server_db_ms) if server_db_ms else None,
        "queries_per_webhook": queries["count"],
        "statements": queries["statements"],
        # Every webhook answered 200 paid one payment (plus the one of the query count); the
        # ones sent but finishing outside the window paid theirs too.
        "paid_rows": paid,
        "succeeded_attempts": succeeded,
        "sent": sent,
        "rows_consistent": paid == succeeded and handled.ok + 1 <= paid <= sent + 1,
        "target_met": handled.rate >= TARGET_PER_S and not handled.errors,
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
        f"{s['warmup']} s warm-up. Target: >= {results['target_per_s']:.0f} webhooks/s on "
        "PostgreSQL.",
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"{m.get('os')}, Python {m.get('python')}, Django {m.get('django')}, gunicorn "
        f"{m.get('gunicorn')}; load average at start {m.get('load_average_at_start')} "
        "(the machine is shared).",
        "",
        "| database | webhooks/s | p50 / p95 ms | no-op/s (same server, same run) | webhook ÷ "
        "no-op | CPU ms per webhook: server / database / load generator | idle 2-core "
        "estimate/s | SQL per webhook | rows: paid = succeeded attempts | target met |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results["results"]:
        if "error" in r:
            lines.append(f"| {r['label']} | error: {r['error'][:300]} |" + " |" * 8)
            continue
        w, n, cpu = r["webhooks"], r["noop"], r["cpu_ms_per_webhook"]
        errors = f" (errors {w['errors']})" if w["errors"] else ""
        lines.append(
            f"| {r['label']} | **{w['rate_per_s']:.0f}**{errors} | {w['p50_ms']} / {w['p95_ms']} "
            f"| {n['rate_per_s']:.0f} | {r['ratio_vs_noop']} "
            f"| {cpu.get('server')} / {cpu.get('database')} / {cpu.get('load_generator')} "
            f"| {r['idle_machine_webhooks_per_s']} | {r['queries_per_webhook']} "
            f"| {r['paid_rows']:,} = {r['succeeded_attempts']:,} "
            f"({'consistent' if r['rows_consistent'] else '**inconsistent**'}) "
            f"| {'yes' if r['target_met'] else '**no**'} |"
        )
    for r in results["results"]:
        if "error" not in r:
            lines += ["", f"Server ({r['label']}): {r['server']}; broker: {r['broker']}; load "
                      f"average at the end {r['load_average']}."]  # fmt: skip
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
