"""Benchmark 4: the transparency log at 1,000,000 entries (smoke: 20,000).

For each database (SQLite, PostgreSQL) a child process gets a fresh database, migrates it and
bulk-loads the log the way a rebuild would (leaves and every perfect-subtree node computed in
memory, inserted in batches — not a million calls to the per-entry append). Then, in the same
run:

* the real per-entry append (`log_append`, one transaction each, under the head lock);
* inclusion proofs as the API serves them (lookup by leaf hash + proof), and consistency proofs,
  p50/p95 in ms — target: proof <= 5 ms p95;
* baselines: a bare indexed SELECT of one leaf by its hash, and the same inclusion proof
  computed naively from an in-memory list of all leaf hashes (the RFC recursion).

`python -m bench.transparency [--smoke] [--db sqlite|postgres|both] [--no-docs]`; from the
orchestrator: `run(smoke=...)` and `markdown(results)`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs" / "benchmarks-transparency.md"
TARGET_PROOF_P95_MS = 5.0
FULL = {"entries": 1_000_000, "appends": 2_000, "samples": 2_000, "naive": 5}
SMOKE = {"entries": 20_000, "appends": 300, "samples": 300, "naive": 10}


# --- orchestrator ------------------------------------------------------------------------------


def run(*, smoke: bool, dbs: tuple[str, ...] = ("sqlite", "postgres")) -> dict[str, Any]:
    """Measure on each database in its own child process and throwaway database."""
    from bench import databases
    from bench.machine import machine_describe

    sizes = SMOKE if smoke else FULL
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="qyzmet-bench-log-") as scratch:
        for label in dbs:
            if label == "postgres":
                why = databases.postgres_available()
                if why is not None:
                    notes.append(f"PostgreSQL skipped (unreachable: {why})")
                    continue
            maker = databases.sqlite_database if label == "sqlite" else databases.postgres_database
            print(f"[transparency/{label}] {sizes['entries']:,} entries…", flush=True)
            out = Path(scratch) / f"{label}.json"
            try:
                with maker() as db_url:
                    _child(label=label, db_url=db_url, out=out, sizes=sizes)
                results.append(json.loads(out.read_text()))
            except Exception as exc:
                results.append({"label": label, "error": f"{type(exc).__name__}: {exc}"})
    machine = machine_describe()
    return {
        "benchmark": "transparency",
        "mode": "smoke" if smoke else "full",
        "started_at": started.isoformat(),
        "machine": machine,
        "sizes": sizes,
        "target_proof_p95_ms": TARGET_PROOF_P95_MS,
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
        sys.executable, "-m", "bench.transparency", "--child", "--label", label,
        "--out", str(out), *[f"--{k}={v}" for k, v in sizes.items()],
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(f"bench.transparency child exited {completed.returncode}")


# --- the measurements (child process, Django set up) --------------------------------------------


def _pct(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "max_ms": round(ordered[-1] * 1000, 3)}


def _entry(i: int) -> tuple[bytes, str]:
    from qyzmet.transparency.services import entry_canonical

    digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
    public_id = f"b{digest[:42]}"
    data = {
        "type": "document-issued",
        "public_id": public_id,
        "sha256": hashlib.sha256(digest.encode()).hexdigest(),
        "issuer": "kz-mvd",
        "issued_at": "2025-01-01T00:00:00.000000Z",
    }
    return entry_canonical(data), public_id


def _bulk_load(n: int) -> tuple[list[bytes], dict[str, float]]:
    """Leaves and perfect-subtree nodes computed in memory and inserted in batches."""
    from django.db import connection, transaction
    from django.utils import timezone

    from qyzmet.transparency import merkle
    from qyzmet.transparency.models import LogHead, node_key

    t0 = time.perf_counter()
    now = timezone.now()
    leaf_hashes: list[bytes] = []
    leaf_rows: list[tuple] = []
    chunk = 50_000
    postgres = connection.vendor == "postgresql"
    quoted = connection.ops.quote_name("index")
    columns = f"{quoted}, leaf_hash, entry_hash, entry, kind, ref, appended_at"
    insert_leaf = f"INSERT INTO transparency_logleaf ({columns}) VALUES (%s,%s,%s,%s,%s,%s,%s)"  # noqa: S608

    def flush_leaves(cursor) -> None:
        if postgres:
            raw = cursor.cursor
            with raw.copy(f"COPY transparency_logleaf ({columns}) FROM STDIN") as copy:
                for row in leaf_rows:
                    copy.write_row(row)
        else:
            cursor.executemany(insert_leaf, leaf_rows)
        leaf_rows.clear()

    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(n):
            entry, public_id = _entry(i)
            h = merkle.leaf_hash(entry)
            leaf_hashes.append(h)
            leaf_rows.append(
                (i, h, hashlib.sha256(entry).digest(), entry, "document-issued", public_id, now)
            )
            if len(leaf_rows) >= chunk:
                flush_leaves(cursor)
        if leaf_rows:
            flush_leaves(cursor)
        t_leaves = time.perf_counter()
        frontier_keys = set(merkle.frontier_keys(n))
        frontier: dict[tuple[int, int], bytes] = {
            k: leaf_hashes[k[1]] for k in frontier_keys if k[0] == 0
        }
        node_count = 0
        for level, hashes in merkle.perfect_subtrees(leaf_hashes):
            rows = [(node_key(level, i), h) for i, h in enumerate(hashes)]
            frontier.update({k: hashes[k[1]] for k in frontier_keys if k[0] == level})
            node_count += len(rows)
            if postgres:
                with cursor.cursor.copy("COPY transparency_lognode (key, hash) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
            else:
                for start in range(0, len(rows), chunk):
                    cursor.executemany(
                        "INSERT INTO transparency_lognode (key, hash) VALUES (%s, %s)",
                        rows[start : start + chunk],
                    )
        ordered = [frontier[k] for k in merkle.frontier_keys(n)]
        LogHead.objects.update_or_create(
            pk=1,
            defaults={
                "tree_size": n,
                "root_hash": merkle.root_from_frontier(ordered),
                "frontier": b"".join(ordered),
            },
        )
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE transparency_logleaf")
            cursor.execute("ANALYZE transparency_lognode")
    t_end = time.perf_counter()
    return leaf_hashes, {
        "entries": n,
        "nodes": node_count,
        "leaves_s": round(t_leaves - t0, 2),
        "nodes_s": round(t_end - t_leaves, 2),
        "total_s": round(t_end - t0, 2),
        "entries_per_s": round(n / (t_end - t0)),
    }


def _measure(sizes: dict[str, int], label: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from qyzmet.transparency import merkle, selectors, services
    from qyzmet.transparency.models import LogLeaf

    call_command("migrate", verbosity=0)
    n = sizes["entries"]
    leaf_hashes, load = _bulk_load(n)

    # The real per-entry append, one transaction each, under the head lock.
    appends = sizes["appends"]
    append_times: list[float] = []
    t0 = time.perf_counter()
    for i in range(n, n + appends):
        entry, public_id = _entry(i)
        data = json.loads(entry)
        s = time.perf_counter()
        leaf = services.log_append(kind="document-issued", ref=public_id, data=data)
        append_times.append(time.perf_counter() - s)
        leaf_hashes.append(bytes(leaf.leaf_hash))
    append_elapsed = time.perf_counter() - t0
    size = selectors.log_size()
    assert size == n + appends, (size, n, appends)
    sth = services.tree_head_current()
    if n + appends <= 200_000:  # sanity on the smoke run: the stored root is the RFC root
        assert bytes(sth.root_hash) == merkle.mth(leaf_hashes)

    rnd = random.Random(4)
    samples = sizes["samples"]
    indexes = [rnd.randrange(size) for _ in range(samples)]

    # Baseline 1: a bare indexed SELECT of one leaf by its hash.
    bare: list[float] = []
    for m in indexes:
        s = time.perf_counter()
        LogLeaf.objects.filter(leaf_hash=leaf_hashes[m]).values_list("index", flat=True).first()
        bare.append(time.perf_counter() - s)

    # The proof as the API computes it: look the hash up, then the audit path.
    proof_times: list[float] = []
    checked = 0
    for m in indexes:
        s = time.perf_counter()
        leaf = selectors.leaf_by_hash(hash=leaf_hashes[m])
        path = selectors.proof_inclusion(leaf_index=leaf.index, tree_size=size)
        proof_times.append(time.perf_counter() - s)
        if checked < 20:
            assert selectors._root_from_path(m, size, leaf_hashes[m], path) == bytes(sth.root_hash)
            checked += 1

    # Consistency proofs between random sizes.
    consistency_times: list[float] = []
    for _ in range(samples):
        second = rnd.randint(2, size)
        first = rnd.randint(1, second - 1)
        s = time.perf_counter()
        selectors.proof_consistency(first=first, second=second)
        consistency_times.append(time.perf_counter() - s)

    # Baseline 2: the same inclusion proof from an in-memory list of every leaf hash.
    naive: list[float] = []
    for m in indexes[: sizes["naive"]]:
        s = time.perf_counter()
        merkle.inclusion_path(m, leaf_hashes)
        naive.append(time.perf_counter() - s)

    proof = _pct(proof_times)
    return {
        "label": label,
        "vendor": connection.vendor,
        "server_version": _server_version(),
        "tree_size": size,
        "bulk_load": load,
        "append": {
            "count": appends,
            "per_s": round(appends / append_elapsed, 1),
            **_pct(append_times),
        },
        "inclusion_proof": {"samples": samples, **proof},
        "consistency_proof": {"samples": samples, **_pct(consistency_times)},
        "baseline_indexed_select": {"samples": samples, **_pct(bare)},
        "baseline_in_memory_naive_proof": {"samples": len(naive), **_pct(naive)},
        "proof_target_met": proof["p95_ms"] <= TARGET_PROOF_P95_MS,
    }


def _server_version() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return str(cursor.fetchone()[0])
    import sqlite3

    return sqlite3.sqlite_version


# --- report ---------------------------------------------------------------------------------


def markdown(results: dict[str, Any]) -> str:
    """The section for docs/benchmarks-transparency.md."""
    m = results["machine"]
    lines = [
        f"Run: {results['started_at']} ({results['mode']}), "
        f"{results['sizes']['entries']:,} bulk-loaded entries + "
        f"{results['sizes']['appends']:,} real appends. Target: inclusion proof p95 <= "
        f"{results['target_proof_p95_ms']} ms.",
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"{m.get('os')}, Python {m.get('python')}, Django {m.get('django')}; load average at "
        f"start {m.get('load_average_at_start')} (the machine is shared).",
        "",
        "| measure | " + " | ".join(r["label"] for r in results["results"]) + " |",
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

    def lat(key: str):
        return lambda r: f"{r[key]['p50_ms']} / {r[key]['p95_ms']}"

    row("database", lambda r: f"{r['vendor']} {r['server_version']}")
    row("tree size after the run", lambda r: f"{r['tree_size']:,}")
    row(
        "bulk load (entries/s; leaves s + nodes s)",
        lambda r: (
            f"{r['bulk_load']['entries_per_s']:,} "
            f"({r['bulk_load']['leaves_s']} + {r['bulk_load']['nodes_s']} s)"
        ),
    )
    row("per-entry append (appends/s)", lambda r: f"{r['append']['per_s']}")
    row("per-entry append p50 / p95 ms", lat("append"))
    row("**inclusion proof by hash p50 / p95 ms**", lat("inclusion_proof"))
    row("consistency proof p50 / p95 ms", lat("consistency_proof"))
    row("baseline: indexed SELECT of one leaf p50 / p95 ms", lat("baseline_indexed_select"))
    row(
        "baseline: naive in-memory proof p50 / p95 ms",
        lat("baseline_in_memory_naive_proof"),
    )
    row("proof target met", lambda r: "yes" if r["proof_target_met"] else "**no**")
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def docs_write(results: dict[str, Any], path: Path = DOCS) -> None:
    head = (
        "# Benchmarks: transparency log\n\n"
        "Produced by `python -m bench.transparency` (see `bench/transparency.py` for exactly "
        "what is timed). Figures are from one run on the machine named below; rerun to "
        "compare.\n\n"
    )
    path.write_text(head + markdown(results))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.transparency", description=__doc__)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--no-docs", action="store_true")
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
    json_path = out_dir / f"transparency-{stamp}{'-smoke' if args.smoke else ''}.json"
    json_path.write_text(json.dumps(results, indent=2, default=str))
    print(markdown(results))
    print(f"JSON: {json_path}")
    if not args.smoke and not args.no_docs:
        docs_write(results)
    return 1 if any("error" in r for r in results["results"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
