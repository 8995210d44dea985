"""Benchmark 7: the open-data catalogue's read paths at 1,000 datasets (smoke: 60), p50/p95 in
ms of sequential requests through a real gunicorn: the CKAN `package_search` (without and with
`q`, 10 rows), `package_show`, and the HTML catalogue `/open-data/` and its search — against a
no-op baseline (a static file) on the same server in the same run. Target: p95 <= 50 ms.

For each database (SQLite, PostgreSQL) a child process gets a fresh database, migrates it,
publishes the datasets through `dataset_publish` (the real service: files, hashes, versions) and
starts gunicorn on it.
`python -m bench.opendata [--smoke] [--db sqlite|postgres|both] [--no-docs]`; from the
orchestrator: `run(smoke=...)` and `markdown(results)`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs" / "benchmarks-opendata.md"
TARGET_P95_MS = 50.0
FULL = {"datasets": 1_000, "samples": 200}
SMOKE = {"datasets": 60, "samples": 20}
NOOP_PATH = "/static/qyzmet/site.css"
WORDS = ("roads", "schools", "clinics", "budget", "water", "transport", "permits", "courts")


def run(*, smoke: bool, dbs: tuple[str, ...] = ("sqlite", "postgres")) -> dict[str, Any]:
    """Measure on each database in its own child process and throwaway database."""
    from bench import databases
    from bench.machine import machine_describe

    sizes = SMOKE if smoke else FULL
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qyzmet-bench-opendata-") as scratch:
        for label in dbs:
            if label == "postgres":
                why = databases.postgres_available()
                if why is not None:
                    notes.append(f"PostgreSQL skipped (unreachable: {why})")
                    continue
            maker = databases.sqlite_database if label == "sqlite" else databases.postgres_database
            print(f"[opendata/{label}] {sizes['datasets']:,} datasets…", flush=True)
            out = Path(scratch) / f"{label}.json"
            try:
                with maker() as db_url:
                    _child(label=label, db_url=db_url, out=out, sizes=sizes, scratch=scratch)
                results.append(json.loads(out.read_text()))
            except Exception as exc:
                results.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
    return {
        "benchmark": "opendata",
        "mode": "smoke" if smoke else "full",
        "started_at": started.isoformat(),
        "machine": machine_describe(),
        "sizes": sizes,
        "target_p95_ms": TARGET_P95_MS,
        "notes": notes,
        "results": results,
    }


def _env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["QYZMET_DATABASE_URL"] = db_url
    env["DJANGO_SETTINGS_MODULE"] = "qyzmet.settings.embedded"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO_ROOT), str(REPO_ROOT / "src"), env.get("PYTHONPATH")])
    )
    return env


def _child(*, label: str, db_url: str, out: Path, sizes: dict[str, int], scratch: str) -> None:
    command = [
        sys.executable, "-m", "bench.opendata", "--child", "--label", label, "--db-url", db_url,
        "--out", str(out), "--scratch", scratch, *[f"--{k}={v}" for k, v in sizes.items()],
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO_ROOT, env=_env(db_url), check=False)
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(f"bench.opendata child exited {completed.returncode}")


# --- the measurements (child process, Django set up) --------------------------------------------


def _seed(n: int) -> float:
    from qyzmet.opendata.services import dataset_publish

    t0 = time.perf_counter()
    for i in range(n):
        word = WORDS[i % len(WORDS)]
        dataset_publish(
            name=f"bench-{word}-{i:05d}",
            organisation="",
            origin="platform",
            title={"kk": f"Деректер {i}", "ru": f"Данные {i}", "en": f"{word.title()} data {i}"},
            description={"en": f"Figures about {word} by region, set {i}."},
            schema={"fields": [{"name": "region", "type": "string"},
                               {"name": "value", "type": "integer"}]},
            rows=[{"region": f"R{r}", "value": i * r} for r in range(20)],
            tags=(word, f"set-{i % 50}"),
        )
    return round(time.perf_counter() - t0, 1)


def _stats(latencies: list[float], errors: dict) -> dict[str, Any]:
    from bench.load import percentile

    if not latencies:
        return {"samples": 0, "p50_ms": None, "p95_ms": None, "errors": dict(errors)}
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "errors": dict(errors),
    }


def _measure(sizes: dict[str, int], label: str, db_url: str, scratch: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection
    from django.urls import NoReverseMatch, reverse

    from bench.load import sequential
    from bench.server import ServerConfig, gunicorn_running

    call_command("migrate", verbosity=0)
    seed_s = _seed(sizes["datasets"])
    paths = {
        "noop_static": NOOP_PATH,
        "package_search": "/api/3/action/package_search?rows=10",
        "package_search_q": "/api/3/action/package_search?q=clinics&rows=10",
        "package_show": "/api/3/action/package_show?id=bench-water-00004",
    }
    notes = []
    try:
        page = reverse("opendata-list")
        paths["catalogue_page"] = page
        paths["catalogue_search"] = f"{page}?q=clinics"
    except NoReverseMatch:
        notes.append("the HTML catalogue page does not exist yet: not measured")
    config = ServerConfig(workers=2, worker_class="gthread", threads=2)
    measured: dict[str, Any] = {}
    with gunicorn_running(config=config, env={"QYZMET_DATABASE_URL": db_url},
                          log_path=Path(scratch) / f"{label}.gunicorn.log") as server:
        for key, path in paths.items():
            latencies, errors = sequential(
                base_url=server.url, method="GET", path=path,
                headers={"Accept-Language": "kk"}, samples=sizes["samples"],
                warmup=max(3, sizes["samples"] // 20),
            )  # fmt: skip
            measured[key] = {**_stats(latencies, errors), "path": path}
    noop = measured["noop_static"]["p95_ms"] or None
    for key, value in measured.items():
        if key != "noop_static" and value["p95_ms"] is not None and noop:
            value["ratio_p95_vs_noop"] = round(value["p95_ms"] / noop, 1)
    timed = [v for k, v in measured.items() if k != "noop_static"]
    return {
        "label": label,
        "vendor": connection.vendor,
        "seed_s": seed_s,
        "server": config.describe(),
        "measures": measured,
        "notes": notes,
        "target_met": all(v["p95_ms"] is not None and v["p95_ms"] <= TARGET_P95_MS
                          and not v["errors"] for v in timed),
    }


def markdown(results: dict[str, Any]) -> str:
    """The section for docs/benchmarks-opendata.md."""
    m = results["machine"]
    lines = [
        f"Run: {results['started_at']} ({results['mode']}), {results['sizes']['datasets']:,} "
        f"datasets published through the real service, {results['sizes']['samples']} sequential "
        f"requests per measure. Target: p95 <= {results['target_p95_ms']} ms.",
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"{m.get('os')}, Python {m.get('python')}, Django {m.get('django')}; load average at "
        f"start {m.get('load_average_at_start')} (the machine is shared).",
        "",
        "| p50 / p95 ms (× no-op p95) | " + " | ".join(r["label"] for r in results["results"])
        + " |",
        "|---|" + "---|" * len(results["results"]),
    ]
    keys = ["noop_static", "package_search", "package_search_q", "package_show",
            "catalogue_page", "catalogue_search"]
    for key in keys:
        cells = []
        for r in results["results"]:
            v = r.get("measures", {}).get(key) if "error" not in r else None
            if "error" in r:
                cells.append(r["error"])
            elif v is None or v["p95_ms"] is None:
                cells.append("–")
            else:
                ratio = f" (× {v['ratio_p95_vs_noop']})" if "ratio_p95_vs_noop" in v else ""
                errors = f", errors {v['errors']}" if v["errors"] else ""
                cells.append(f"{v['p50_ms']} / {v['p95_ms']}{ratio}{errors}")
        path = next((r["measures"][key]["path"] for r in results["results"]
                     if key in r.get("measures", {})), "")
        lines.append(f"| {key} `{path}` | " + " | ".join(cells) + " |")
    lines.append("| target met | " + " | ".join(
        ("yes" if r.get("target_met") else "**no**") if "error" not in r else "–"
        for r in results["results"]) + " |")
    for r in results["results"]:
        for note in r.get("notes", []):
            lines += ["", f"Note ({r['label']}): {note}"]
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def docs_write(results: dict[str, Any], path: Path = DOCS) -> None:
    head = (
        "# Benchmarks: open data (CKAN API and catalogue)\n\n"
        "Produced by `python -m bench.opendata` (see `bench/opendata.py` for exactly what is "
        "timed). Figures are from one run on the machine named below; rerun to compare.\n\n"
    )
    path.write_text(head + markdown(results), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.opendata", description=__doc__)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--no-docs", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--label", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--db-url", help=argparse.SUPPRESS)
    p.add_argument("--scratch", help=argparse.SUPPRESS)
    for key in FULL:
        p.add_argument(f"--{key}", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        import django

        django.setup()
        sizes = {key: getattr(args, key) for key in FULL}
        result = _measure(sizes, args.label, args.db_url, args.scratch)
        Path(args.out).write_text(json.dumps(result, indent=2))
        return 0
    dbs = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = run(smoke=args.smoke, dbs=dbs)
    out_dir = REPO_ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")[:15]
    json_path = out_dir / f"opendata-{stamp}{'-smoke' if args.smoke else ''}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    print(f"JSON: {json_path}")
    if not args.smoke and not args.no_docs:
        docs_write(results)
    return 1 if any("error" in r for r in results["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
