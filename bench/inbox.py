"""Benchmark 1b: the officer's inbox latency (first page and a deep page, sequential requests
through HTTP), against the raw SQL of the same page run through a database cursor in this
process — the part of the latency that the database alone accounts for."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

from django.db import connection
from django.db.models import Q

from qyzmet.applications.models import Application
from qyzmet.applications.selectors import officer_agencies
from qyzmet.identity.selectors import user_get_by_iin

from .load import get_json, percentile, sequential

PAGE = 25


def _decode(cursor: str) -> dict:
    padded = cursor + "=" * (-len(cursor) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


def inbox_queryset(*, agencies: list[str], cursor: str | None = None):
    """The same WHERE / ORDER BY / LIMIT as `applications.selectors.inbox_list` (status=open,
    no other filter), so the raw query is exactly what the endpoint asks the database."""
    qs = (
        Application.objects.filter(agency_code__in=agencies)
        .exclude(state=Application.DRAFT)
        .filter(is_open=True)
    )
    if cursor:
        position = _decode(cursor)
        due = dt.date.fromisoformat(position["due"])
        qs = qs.filter(Q(due_date__gt=due) | Q(due_date=due, id__gt=int(position["id"])))
    return qs.select_related("applicant").order_by("due_date", "id")[: PAGE + 1]


def _sql(*, agencies: list[str], cursor: str | None) -> tuple[str, tuple]:
    return (
        inbox_queryset(agencies=agencies, cursor=cursor)
        .query.get_compiler(connection=connection)
        .as_sql()
    )


def raw_sql_latencies(*, sql: str, params: tuple, samples: int, warmup: int) -> list[float]:
    latencies = []
    with connection.cursor() as cursor:
        for i in range(warmup + samples):
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            if i >= warmup:
                latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def query_plan(*, sql: str, params: tuple) -> list[str]:
    """How the database answers the page (which index), for the report."""
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(c) for c in row) for row in cursor.fetchall()]


def _stats(latencies: list[float], errors: dict | None = None) -> dict[str, Any]:
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 3),
        "p95_ms": round(percentile(latencies, 95), 3),
        "errors": dict(errors or {}),
    }


def inbox_run(
    *, base_url: str, officer_iin: str, token: str, samples: int, deep_pages: int
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

    first_ms, first_errors = sequential(
        base_url=base_url, method="GET", path=first_path, headers=headers,
        samples=samples, warmup=warmup,
    )  # fmt: skip
    deep_ms, deep_errors = sequential(
        base_url=base_url, method="GET", path=deep_path, headers=headers,
        samples=samples, warmup=warmup,
    )  # fmt: skip

    officer = user_get_by_iin(iin=officer_iin)
    agencies = sorted(officer_agencies(user=officer))
    first_sql, first_params = _sql(agencies=agencies, cursor=None)
    deep_sql, deep_params = _sql(agencies=agencies, cursor=cursor)
    timing = {"samples": samples, "warmup": warmup}
    raw_first = raw_sql_latencies(sql=first_sql, params=first_params, **timing)
    raw_deep = raw_sql_latencies(sql=deep_sql, params=deep_params, **timing)

    first, deep = _stats(first_ms, first_errors), _stats(deep_ms, deep_errors)
    raw_first_stats, raw_deep_stats = _stats(raw_first), _stats(raw_deep)

    def ratio(http: dict, raw: dict) -> float | None:
        return round(http["p95_ms"] / raw["p95_ms"], 1) if raw["p95_ms"] else None

    return {
        "agencies": agencies,
        "page_size": PAGE,
        "deep_page_number": deep_pages + 1 if cursor else 1,
        "first_page": {**first, "path": first_path},
        "deep_page": {**deep, "path": deep_path},
        "raw_sql_first_page": raw_first_stats,
        "raw_sql_deep_page": raw_deep_stats,
        "p95_ratio_first_vs_raw_sql": ratio(first, raw_first_stats),
        "p95_ratio_deep_vs_raw_sql": ratio(deep, raw_deep_stats),
        "sql_first_page": first_sql,
        "plan_first_page": query_plan(sql=first_sql, params=first_params),
        "plan_deep_page": query_plan(sql=deep_sql, params=deep_params),
    }
