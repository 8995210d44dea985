"""Where a submission and an inbox page spend their time: N requests in-process (Django's test
client, the same code path as over HTTP, no server and no network) under cProfile, on a fresh
small dataset. For finding hot spots, not for the figures in docs/benchmarks.md.

    python -m bench.profile [--db sqlite|postgres] [--requests 200] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
import uuid

from . import databases
from .target import _django_setup


def _measure(label: str, fn, requests: int, top: int) -> None:
    fn()  # warm caches
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        fn()
    profiler.disable()
    per_request = (time.perf_counter() - started) / requests * 1000
    print(f"\n=== {label}: {per_request:.1f} ms per request in-process (under cProfile) ===")
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(top)
    print(stream.getvalue())


def run(args: argparse.Namespace, db_url: str) -> None:
    _django_setup(db_url)
    from django.test import Client

    from .dataset import dataset_build
    from .submissions import SUBMIT_BODY

    dataset = dataset_build(
        applications=args.applications, population=args.population, citizens=args.citizens
    )
    tokens = dataset.citizen_tokens
    clients = [Client(headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    counter = iter(range(10**9))

    def submit() -> None:
        client = clients[next(counter) % len(clients)]
        response = client.post(
            "/api/v1/applications",
            SUBMIT_BODY,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.content

    officer = Client(headers={"Authorization": f"Bearer {dataset.officer_token}"})

    def inbox() -> None:
        assert officer.get("/api/v1/inbox?limit=25").status_code == 200

    _measure("POST /api/v1/applications", submit, args.requests, args.top)
    _measure("GET /api/v1/inbox?limit=25", inbox, args.requests, args.top)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--citizens", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    maker = databases.sqlite_database if args.db == "sqlite" else databases.postgres_database
    with maker() as db_url:
        run(args, db_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
