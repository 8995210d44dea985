"""Benchmark 1b: the officer's inbox latency (first page and a deep page, sequential requests
through HTTP), against the raw SQL of the same page (the statements the selector sends, captured
from it) run through a database cursor in this process — the part of the latency that the
database alone accounts for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from qyzmet.applications.models import Application
from qyzmet.applications.selectors import inbox_list, officer_agencies
from qyzmet.identity.selectors import user_get_by_iin

from .cpu import cpu_delta
from .load import get_json, percentile, sequential

PAGE = 25
TABLE = Application._meta.db_table


def page_statements(*, officer_iin: str, cursor: str | None) -> list[str]:
    """The statements `applications.selectors.inbox_list` sends for one page (status=open, no
    other filter) over the applications table — one ordered, limited scan per agency of the
    officer — captured from the selector itself with their parameters inlined, so the raw
    baseline and the query plans are exactly what the endpoint asks the database."""
    user = user_get_by_iin(iin=officer_iin)
    with CaptureQueriesContext(connection) as captured:
        inbox_list(user=user, cursor=cursor, limit=PAGE)
    return [q["sql"] for q in captured.captured_queries if TABLE in q["sql"]]


def raw_sql_latencies(*, statements: list[str], samples: int, warmup: int) -> list[float]:
    """Milliseconds to run all of a page's statements in turn, `samples` times."""
    latencies = []
    with connection.cursor() as cursor:
        for i in range(warmup + samples):
            t0 = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            if i >= warmup:
                latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def query_plan(*, statements: list[str]) -> list[str]:
    """How the database answers the page (which index, how many rows thrown away), for the
    report: the plan of each statement, separated by a blank line."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    lines: list[str] = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(prefix + sql)
            lines += [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    return lines


def _stats(latencies: list[float], errors: dict | None = None) -> dict[str, Any]:
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "errors": dict(errors or {}),
    }


def _cpu_ms(probe: Callable[[], dict] | None, start: dict | None, requests: int) -> dict:
    """CPU milliseconds per request by role since `start` (see bench.cpu): what a page costs
    whatever else the shared machine was doing, where the p95 also holds the waits for a core."""
    if probe is None or start is None or not requests:
        return {}
    spent = cpu_delta(start, probe())
    return {
        f"{role}_cpu_ms_per_request": round(s / requests * 1000, 2) for role, s in spent.items()
    }


def inbox_run(
    *,
    base_url: str,
    officer_iin: str,
    token: str,
    samples: int,
    deep_pages: int,
    cpu_probe: Callable[[], dict] | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "kk"}
    first_path = f"/api/v1/inbox?limit={PAGE}"
    # Follow the cursor `deep_pages` pages in, as an officer paging through the backlog would.
    cursor = None
    for _ in range(deep_pages):
        path = first_path + (f"&cursor={cursor}" if cursor else "")
        page = get_json(base_url, path, headers)
        if not page.get("next_cursor"):
            break
        cursor = page["next_cursor"]
    deep_path = first_path + (f"&cursor={cursor}" if cursor else "")
    warmup = max(3, samples // 20)

    start = cpu_probe() if cpu_probe else None
    first_ms, first_errors = sequential(
        base_url=base_url, method="GET", path=first_path, headers=headers,
        samples=samples, warmup=warmup,
    )  # fmt: skip
    first_cpu = _cpu_ms(cpu_probe, start, samples + warmup)
    start = cpu_probe() if cpu_probe else None
    deep_ms, deep_errors = sequential(
        base_url=base_url, method="GET", path=deep_path, headers=headers,
        samples=samples, warmup=warmup,
    )  # fmt: skip
    deep_cpu = _cpu_ms(cpu_probe, start, samples + warmup)

    officer = user_get_by_iin(iin=officer_iin)
    agencies = sorted(officer_agencies(user=officer))
    first_sql = page_statements(officer_iin=officer_iin, cursor=None)
    deep_sql = page_statements(officer_iin=officer_iin, cursor=cursor)
    timing = {"samples": samples, "warmup": warmup}
    raw_first = raw_sql_latencies(statements=first_sql, **timing)
    raw_deep = raw_sql_latencies(statements=deep_sql, **timing)

    first, deep = _stats(first_ms, first_errors), _stats(deep_ms, deep_errors)
    raw_first_stats, raw_deep_stats = _stats(raw_first), _stats(raw_deep)

    def ratio(http: dict, raw: dict) -> float | None:
        return round(http["p95_ms"] / raw["p95_ms"], 1) if raw["p95_ms"] else None

    return {
        "agencies": agencies,
        "page_size": PAGE,
        "deep_page_number": deep_pages + 1 if cursor else 1,
        "first_page": {**first, **first_cpu, "path": first_path},
        "deep_page": {**deep, **deep_cpu, "path": deep_path},
        "raw_sql_first_page": raw_first_stats,
        "raw_sql_deep_page": raw_deep_stats,
        "p95_ratio_first_vs_raw_sql": ratio(first, raw_first_stats),
        "p95_ratio_deep_vs_raw_sql": ratio(deep, raw_deep_stats),
        "sql_first_page": first_sql,
        "plan_first_page": query_plan(statements=first_sql),
        "plan_deep_page": query_plan(statements=deep_sql),
    }
