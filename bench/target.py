"""One database's benchmark, in its own process (Django's settings are per process, and the
database URL is one of them): build the dataset, count the queries of one request of each kind,
start gunicorn, measure, write the result as JSON.

Run by `bench.cli`; by hand:
`python -m bench.target --db-url sqlite:////tmp/x.sqlite3 --out r.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from .cpu import probe_for
from .server import ServerConfig, gunicorn_running


def _django_setup(db_url: str) -> None:
    os.environ["QYZMET_DATABASE_URL"] = db_url
    os.environ["QYZMET_DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "qyzmet.settings.embedded"
    import django

    django.setup()


def queries_per_request(*, citizen_token: str, officer_token: str) -> dict[str, Any]:
    """How many SQL statements one submission and one inbox page cost (in-process test client,
    same code path as over HTTP). A number that grows with the page size is an N+1."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from .submissions import SUBMIT_BODY

    reset_queries()  # the log is a bounded deque: start it empty so the counts are exact
    citizen = Client(headers={"Authorization": f"Bearer {citizen_token}"})
    with CaptureQueriesContext(connection) as submit:
        response = citizen.post(
            "/api/v1/applications",
            SUBMIT_BODY,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    submit_count = len(submit.captured_queries)  # read now: the list is a view of the log
    if response.status_code != 201:
        raise RuntimeError(f"a submission answered {response.status_code}: {response.content!r}")
    officer = Client(headers={"Authorization": f"Bearer {officer_token}"})
    officer.get("/api/v1/inbox?limit=25")  # warm caches (catalogue, memberships) first
    reset_queries()
    with CaptureQueriesContext(connection) as inbox:
        response = officer.get("/api/v1/inbox?limit=25")
    inbox_sql = [q["sql"][:300] for q in inbox.captured_queries]
    if response.status_code != 200:
        raise RuntimeError(f"the inbox answered {response.status_code}: {response.content!r}")
    return {
        "submission": submit_count,
        "inbox_page": len(inbox_sql),
        "inbox_page_sql": inbox_sql,
    }


def _warm_up(base_url: str, officer_token: str, *, requests: int) -> None:
    """Import and cache what each worker needs before anything is timed (the first request of
    a worker loads the URLconf, the API schema and the catalogue)."""
    from .load import get_json

    headers = {"Authorization": f"Bearer {officer_token}"}
    for _ in range(requests):
        get_json(base_url, "/api/v1/catalog/life-events", {})
        get_json(base_url, "/api/v1/inbox?limit=25", headers)


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            return f"SQLite {cursor.fetchone()[0]}"
        cursor.execute("show server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    _django_setup(args.db_url)
    from django.db import connection

    from .dataset import dataset_build
    from .inbox import inbox_run
    from .submissions import submissions_run

    dataset = dataset_build(
        applications=args.applications, population=args.population, citizens=args.citizens
    )
    print(
        f"[{args.label}] dataset: {dataset.applications} applications "
        f"({dataset.open_in_inbox} open for kz-mvd), {len(dataset.citizen_tokens)} citizens, "
        f"built in {dataset.seconds:.1f} s",
        flush=True,
    )
    queries = queries_per_request(
        citizen_token=dataset.citizen_tokens[0], officer_token=dataset.officer_token
    )
    from qyzmet.identity.selectors import user_get_by_iin

    from .submissions import pgbench_run, portal_submissions

    portal = portal_submissions(
        users=[user_get_by_iin(iin=iin) for iin in dataset.citizen_iins],
        count=max(5, args.samples // 2),
    )
    print(f"[{args.label}] portal: {portal}", flush=True)
    pgbench = None
    if connection.vendor == "postgresql":
        from .databases import POSTGRES_URL

        pgbench = pgbench_run(admin_url=POSTGRES_URL, seconds=args.duration, clients=args.clients)
        print(f"[{args.label}] pgbench: {pgbench}", flush=True)
    connection.close()  # the server's workers get the database to themselves while timed
    config = ServerConfig(
        workers=args.workers, worker_class=args.worker_class, threads=args.threads
    )
    env = {"QYZMET_DATABASE_URL": args.db_url, "QYZMET_DEBUG": "0"}
    log_path = Path(args.out).with_suffix(".gunicorn.log")
    with gunicorn_running(config=config, env=env, log_path=log_path) as server:
        base_url = server.url
        print(f"[{args.label}] {config.describe()} on {base_url}", flush=True)
        _warm_up(base_url, dataset.officer_token, requests=2 * args.workers * args.threads)
        submissions = submissions_run(
            base_url=base_url,
            cpu_probe=probe_for(server.pid),
            tokens=dataset.citizen_tokens,
            clients=args.clients,
            duration=args.duration,
            warmup=args.warmup,
        )
        inbox = inbox_run(
            base_url=base_url,
            officer_iin=dataset.officer_iin,
            token=dataset.officer_token,
            samples=args.samples,
            deep_pages=args.deep_pages,
            cpu_probe=probe_for(server.pid),
        )
    return {
        "label": args.label,
        "database": database_version(),
        "server": {**config.__dict__, "description": config.describe()},
        "dataset": {
            "applications_before": dataset.applications,
            "open_for_kz_mvd": dataset.open_in_inbox,
            "citizens": len(dataset.citizen_tokens),
            "population": args.population,
            "build_seconds": round(dataset.seconds, 1),
            "seeding_seconds": dataset.seeding,
        },
        "queries_per_request": queries,
        "portal": portal,
        "pgbench": pgbench,
        "submissions": submissions,
        "inbox": inbox,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.target")
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--label", default="db")
    parser.add_argument("--out", required=True)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--population", type=int, default=2000)
    parser.add_argument("--citizens", type=int, default=200)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--deep-pages", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    # A SIGTERM from the orchestrator unwinds through the finally blocks (gunicorn is stopped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    result = run(args)
    result["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
