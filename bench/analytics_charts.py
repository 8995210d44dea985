"""Benchmark: the appeals analytics page and its charts, on the first load after a change.

For each database (SQLite, PostgreSQL) a child process gets a fresh database, migrates it,
bulk-loads `appeals` appeals spread over a year and signs an appeals officer in (Django's test
client, in process: no server in the way). Then, `samples` times, a citizen submits an appeal
through the real service (a change: the data version moves) and the officer at once loads
`/backoffice/appeals/analytics/` and its five PNG charts, as a browser would. Each request is
timed (p50/p95/max ms).

* **cached**: `appeals.chart_cache` as deployed (`QYZMET_CHART_REFRESH="thread"`, precompute on):
  the request is served the newest drawing while the background thread redraws (at most once
  per combination every 30 s, so under this stream of changes the numbers lag by up to that);
* **baseline, same run**: the cache's refresh off and the cache emptied before each load, so
  every load draws for the new data in the request — what the page did before the cache
  (a quarter of the samples: each one is slow).

Target: p95 <= 300 ms per request in the cached mode, including the first load after a change.
`python -m bench.analytics_charts [--smoke] [--db sqlite|postgres|both]`; from the
orchestrator: `run(smoke=...)` and `markdown(results)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 300.0
FULL = {"appeals": 20_000, "samples": 40}
BASELINE_SHARE = 4  # the baseline draws in every request: a quarter of the samples suffice
SMOKE = {"appeals": 2_000, "samples": 10}
CHARTS = ("weekly", "category", "district", "organisation", "hotspots")


def run(*, smoke: bool, dbs: tuple[str, ...] = ("sqlite", "postgres")) -> dict[str, Any]:
    """Measure on each database in its own child process and throwaway database."""
    from bench import databases
    from bench.machine import machine_describe

    sizes = SMOKE if smoke else FULL
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qyzmet-bench-charts-") as scratch:
        for label in dbs:
            if label == "postgres":
                why = databases.postgres_available()
                if why is not None:
                    notes.append(f"PostgreSQL skipped (unreachable: {why})")
                    continue
            maker = databases.sqlite_database if label == "sqlite" else databases.postgres_database
            print(f"[analytics_charts/{label}] {sizes['appeals']:,} appeals…", flush=True)
            out = Path(scratch) / f"{label}.json"
            try:
                with maker() as db_url:
                    _child(label=label, db_url=db_url, out=out, sizes=sizes)
                results.append(json.loads(out.read_text()))
            except Exception as exc:
                results.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
    machine = machine_describe()
    machine["load_average_at_start"] = load_at_start
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "benchmark": "analytics_charts",
        "mode": "smoke" if smoke else "full",
        "started_at": started.isoformat(),
        "machine": machine,
        "sizes": sizes,
        "target_p95_ms": TARGET_P95_MS,
        "notes": notes,
        "results": results,
    }


def _child(*, label: str, db_url: str, out: Path, sizes: dict[str, int]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["QYZMET_DATABASE_URL"] = db_url
    env["DJANGO_SETTINGS_MODULE"] = "qyzmet.settings.embedded"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), str(REPO_ROOT / "src"), env.get("PYTHONPATH")])
    )
    command = [
        sys.executable, "-m", "bench.analytics_charts", "--child", "--label", label,
        "--out", str(out), *[f"--{k}={v}" for k, v in sizes.items()],
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(f"bench.analytics_charts child exited {completed.returncode}")


# --- the measurements (child process, Django set up) --------------------------------------------


def _pct(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "max_ms": round(ordered[-1] * 1000, 1)}


def _person(serial: int):
    from qyzmet.countries.kz.identifiers import iin_make
    from qyzmet.identity.models import User

    while True:
        iin = iin_make(dt.date(1990, 1, 1), "m", serial)
        if iin is not None and not User.objects.filter(iin=iin).exists():
            return User.objects.create(iin=iin, full_name=f"Bench {serial}")
        serial += 1


def _dataset(n: int) -> tuple[Any, Any]:
    """`n` appeals over 52 weeks (categories, districts, organisations, answers), a citizen
    and an appeals officer of the demo organisation."""
    from django.core.management import call_command
    from django.utils import timezone

    from qyzmet.appeals.demo import organisations_ensure
    from qyzmet.appeals.models import Appeal
    from qyzmet.identity.models import Membership, Organisation

    call_command("migrate", verbosity=0)
    organisations_ensure()
    org = Organisation.objects.filter(code="spb-kb").first() or Organisation.objects.first()
    orgs = list(Organisation.objects.values_list("code", flat=True)[:12])
    categories = ["improvement", "housing", "roof", "facade", "heating", "sanitation", "water"]
    Appeal.objects.bulk_create(
        [
            Appeal(
                text=f"bench {i}",
                lat=59.9 + (i % 97) / 1000,
                lon=30.3 + (i % 89) / 1000,
                district=f"district-{i % 18}",
                category=categories[i % len(categories)],
                organisation_code=orgs[i % len(orgs)],
                status="answered" if i % 3 else "routed",
                is_open=bool(i % 3 == 0),
            )
            for i in range(n)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    ids = sorted(Appeal.objects.values_list("id", flat=True))
    for week in range(52):  # spread over a year, every third one answered on time or not
        part = ids[week::52]
        when = now - dt.timedelta(weeks=week)
        Appeal.objects.filter(id__in=part).update(created_at=when)
        answered = [i for i in part if i % 3]
        Appeal.objects.filter(id__in=answered).update(
            answered_at=when + dt.timedelta(days=2), answered_on_time=True
        )
    officer = _person(1)
    Membership.objects.create(user=officer, organisation=org, role="officer")
    return _person(500), officer


def _load(client: Any) -> dict[str, float]:
    """The page, then its five charts; seconds per request."""
    timings: dict[str, float] = {}
    for name, path in [("page", "/backoffice/appeals/analytics/")] + [
        (chart, f"/backoffice/appeals/analytics/{chart}.png") for chart in CHARTS
    ]:
        t0 = time.perf_counter()
        response = client.get(path)
        timings[name] = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return timings


def _mode(client: Any, citizen: Any, samples: int, *, baseline: bool) -> dict[str, Any]:
    from django.core.cache import cache
    from django.test import override_settings

    from qyzmet.appeals import chart_cache, services

    refresh = "off" if baseline else "thread"
    per: dict[str, list[float]] = {}
    with override_settings(QYZMET_CHART_REFRESH=refresh, QYZMET_CHART_PRECOMPUTE=not baseline):
        _load(client)  # each combination looked at once (a cold process draws it once)
        chart_cache.drain(timeout=600)
        for i in range(samples):
            services.appeal_submit(actor=citizen, text=f"Шұңқыр {i}", lat=59.93, lon=30.33,
                                   category="roof", language="ru")  # fmt: skip
            if baseline:
                cache.clear()
            for name, seconds in _load(client).items():
                per.setdefault(name, []).append(seconds)
        chart_cache.drain(timeout=600)
    every = [s for values in per.values() for s in values]
    return {"requests": _pct(every), **{name: _pct(v) for name, v in per.items()}}


def _measure(sizes: dict[str, int], label: str) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    citizen, officer = _dataset(sizes["appeals"])
    client = Client(HTTP_ACCEPT_LANGUAGE="kk")
    client.force_login(officer)
    translation.activate("kk")
    cached = _mode(client, citizen, sizes["samples"], baseline=False)
    baseline = _mode(client, citizen, max(5, sizes["samples"] // BASELINE_SHARE), baseline=True)
    ratio = round(baseline["requests"]["p95_ms"] / max(cached["requests"]["p95_ms"], 0.001), 1)
    return {
        "label": label,
        "vendor": connection.vendor,
        "server_version": str(connection.pg_version)
        if connection.vendor == "postgresql"
        else sqlite3.sqlite_version,
        "cached": cached,
        "baseline": baseline,
        "baseline_over_cached_p95": ratio,
        "target_met": cached["requests"]["p95_ms"] <= TARGET_P95_MS,
    }


def markdown(results: dict[str, Any]) -> str:
    """The section for docs/benchmarks-analytics.md."""
    m = results["machine"]
    lines = [
        f"Run: {results['started_at']} ({results['mode']}), {results['sizes']['appeals']:,} "
        f"appeals, {results['sizes']['samples']} loads (page + 5 charts) each right after a new "
        f"appeal. Target: p95 <= {results['target_p95_ms']:.0f} ms per request.",
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"{m.get('os')}, Python {m.get('python')}, Django {m.get('django')}; load average "
        f"{m.get('load_average_at_start')} → {m.get('load_average_at_end')} (shared machine).",
        "",
        "| p50 / p95 ms | " + " | ".join(r["label"] for r in results["results"]) + " |",
        "|---|" + "---|" * len(results["results"]),
    ]

    def row(name: str, fn) -> None:
        cells = []
        for r in results["results"]:
            try:
                cells.append(fn(r) if "error" not in r else r["error"])
            except (KeyError, TypeError):
                cells.append("–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    def lat(mode: str, key: str):
        return lambda r: f"{r[mode][key]['p50_ms']} / {r[mode][key]['p95_ms']}"

    row("database", lambda r: f"{r['vendor']} {r['server_version']}")
    row("**cached: every request**", lat("cached", "requests"))
    row("cached: page", lat("cached", "page"))
    for chart in CHARTS:
        row(f"cached: {chart} chart", lat("cached", chart))
    row("baseline (drawn in the request): every request", lat("baseline", "requests"))
    row("baseline: page", lat("baseline", "page"))
    row("baseline: hot-spot chart", lat("baseline", "hotspots"))
    row("baseline p95 ÷ cached p95", lambda r: f"{r['baseline_over_cached_p95']}×")
    row("target met", lambda r: "yes" if r["target_met"] else "**no**")
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.analytics_charts", description=__doc__)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--label", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    for key in FULL:
        p.add_argument(f"--{key}", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        import django

        django.setup()
        sizes = {key: getattr(args, key) for key in FULL}
        Path(args.out).write_text(json.dumps(_measure(sizes, args.label), indent=2))
        return 0
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = run(smoke=args.smoke, dbs=dbs)
    out_dir = REPO_ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    json_path = out_dir / f"analytics-charts-{stamp}{'-smoke' if args.smoke else ''}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    print(f"JSON: {json_path}")
    return 1 if any("error" in r for r in results["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
