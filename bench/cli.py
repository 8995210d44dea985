"""The orchestrator behind `python -m bench`: one child process (`bench.target`) per database,
each in a database created for the run and dropped after it; then the table, the JSON file in
var/bench/ and, for a full run, the results section of docs/benchmarks.md.

Exit status: non-zero only when something failed (a crash, a server that would not start, an
unreachable database that was asked for). A missed target is a result, not an error."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import databases, report
from .machine import machine_describe
from .server import REPO_ROOT

FULL = {"applications": 100_000, "duration": 20.0, "warmup": 2.0, "samples": 200}
SMOKE = {"applications": 5_000, "duration": 3.0, "warmup": 0.5, "samples": 30}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--smoke", action="store_true", help="small and short (CI); docs untouched")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--applications", type=int, help="rows before the timed part (100,000)")
    p.add_argument("--duration", type=float, help="seconds per measured rate (20; smoke 3)")
    p.add_argument("--warmup", type=float, help="seconds before each measured rate (2)")
    p.add_argument("--samples", type=int, help="inbox requests per page (200; smoke 30)")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients for the rates")
    p.add_argument("--population", type=int, default=2000, help="demo_load --count")
    p.add_argument("--citizens", type=int, default=200, help="different citizens submitting")
    p.add_argument("--deep-pages", type=int, default=20, help="pages to follow for the deep page")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    p.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    p.add_argument("--out", default=str(REPO_ROOT / "var" / "bench"), help="folder for the JSON")
    p.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    p.add_argument(
        "--only", nargs="+", choices=["applications", *AREAS], default=None,
        help="run only these benchmarks (default: all)",
    )
    args = p.parse_args(argv)
    for key, value in (SMOKE if args.smoke else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def _child(args: argparse.Namespace, label: str, db_url: str, scratch: Path) -> dict[str, Any]:
    out = scratch / f"{label}.json"
    command = [
        sys.executable, "-m", "bench.target",
        "--db-url", db_url, "--label", label, "--out", str(out),
        "--applications", str(args.applications), "--population", str(args.population),
        "--citizens", str(args.citizens), "--duration", str(args.duration),
        "--warmup", str(args.warmup), "--clients", str(args.clients),
        "--samples", str(args.samples), "--deep-pages", str(args.deep_pages),
        "--workers", str(args.workers), "--worker-class", args.worker_class,
        "--threads", str(args.threads),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0 or not out.exists():
        log = out.with_suffix(".gunicorn.log")
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"bench.target exited {completed.returncode}\n{tail}".strip())
    return json.loads(out.read_text())


def _labels(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """The databases to measure, and notes on any left out."""
    wanted = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    notes = []
    if "postgres" in wanted:
        why = databases.postgres_available()
        if why is not None:
            if args.db == "postgres" or not args.smoke:
                raise SystemExit(f"PostgreSQL at {databases.POSTGRES_URL} is unreachable: {why}")
            wanted.remove("postgres")
            notes.append(f"PostgreSQL skipped (unreachable: {why})")
    return wanted, notes


# The other capabilities' benchmarks: module in bench/ → the docs page its full results go to.
AREAS = {
    "exchange": "docs/benchmarks-exchange.md",
    "signatures": "docs/benchmarks-signatures.md",
    "transparency": "docs/benchmarks-transparency.md",
    "appeals_routing": "docs/benchmarks-appeals.md",
    "analytics_charts": "docs/benchmarks-analytics.md",
    "opendata": "docs/benchmarks-opendata.md",
    "payments": "docs/benchmarks-payments.md",
}
RESULTS_START = "<!-- bench:results:start -->"
RESULTS_END = "<!-- bench:results:end -->"


def _docs_section_write(path: Path, markdown: str) -> None:
    """Replace the generated section of a benchmark page (or append one) with `markdown`."""
    text = path.read_text(encoding="utf-8") if path.exists() else f"# {path.stem}\n"
    block = f"{RESULTS_START}\n{markdown.strip()}\n{RESULTS_END}"
    if RESULTS_START in text and RESULTS_END in text:
        head, rest = text.split(RESULTS_START, 1)
        text = head + block + rest.split(RESULTS_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Latest full run\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def _areas(args: argparse.Namespace) -> int:
    """Run the other capabilities' benchmarks; a missed target never fails, an error does."""
    import importlib

    failures = 0
    for name, docs in AREAS.items():
        if args.only and name not in args.only:
            continue
        print(f"\n[{name}] running…", flush=True)
        module = importlib.import_module(f"bench.{name}")
        try:
            results = module.run(smoke=args.smoke)
        except FileNotFoundError as exc:
            # The appeals data lives beside the checkout (../shared); without it, say so.
            print(f"[{name}] skipped: {exc}", flush=True)
            continue
        except Exception as exc:
            failures += 1
            print(f"[{name}] error: {type(exc).__name__}: {exc}", flush=True)
            continue
        markdown = module.markdown(results)
        print(markdown, flush=True)
        if not args.smoke and not args.no_docs:
            _docs_section_write(REPO_ROOT / docs, markdown)
    return failures


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    failures = _areas(args) if args.only != ["applications"] else 0
    if args.only and "applications" not in args.only:
        return 1 if failures else 0
    return max(_applications(args), 1 if failures else 0)


def _applications(args: argparse.Namespace) -> int:
    labels, notes = _labels(args)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="qyzmet-bench-run-") as scratch:
        for label in labels:
            maker = databases.sqlite_database if label == "sqlite" else databases.postgres_database
            print(f"[{label}] building the dataset…", flush=True)
            try:
                with maker() as db_url:
                    result = _child(args, label, db_url, Path(scratch))
                result["verdict"] = report.verdict(result)
            except Exception as exc:
                result = {"label": label, "error": f"{type(exc).__name__}: {exc}"}
            results.append(result)
    machine = machine_describe()
    machine["load_average_at_start"] = load_at_start
    machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    payload = {
        "mode": "smoke" if args.smoke else "full",
        "started_at": started.isoformat(),
        "machine": machine,
        "args": vars(args),
        "targets": {
            "submissions_per_s": report.TARGET_SUBMISSIONS_PER_S,
            "inbox_p95_ms": report.TARGET_INBOX_P95_MS,
        },
        "notes": notes,
        "results": results,
    }
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ") + ("-smoke" if args.smoke else "")
    json_path = out_dir / f"{stamp}.json"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    print(report.table(payload))
    for note in notes:
        print(f"note: {note}")
    print(f"\nJSON: {json_path}")
    if not args.smoke and not args.no_docs and all("error" not in r for r in results):
        try:
            shown = json_path.relative_to(REPO_ROOT)
        except ValueError:
            shown = json_path
        report.docs_update(payload, str(shown))
        print(f"Results written to {report.DOCS.relative_to(REPO_ROOT)}")
    return 1 if any("error" in r for r in results) else 0
