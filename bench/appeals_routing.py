"""Benchmark of the appeals routing model against the TF-IDF + logistic-regression baseline,
both measured in the same run on the real St Petersburg appeals (`../shared/data/appeals-spb/`).

`run(smoke=...)` returns the figures; `markdown(results)` renders the generated section of
docs/benchmarks-appeals.md. Full: 5-fold cross-validation (per fold and mean ± std), a time split
(earlier months -> last month), training time on the whole file, single-appeal latency and the
serving model's resident memory in a fresh process. Smoke: a 4,000-appeal sample, 2 folds, no
time split. The load average is sampled every 30 s while it runs: the machine is shared, and
wall-clock figures mean little without it."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from qyzmet.appeals.ml import (
    RoutingModel,
    cross_validate,
    read_jsonl,
    time_split_validate,
    train,
)
from qyzmet.appeals.ml.data import features_only

REPO = Path(__file__).resolve().parents[1]
TARGETS = {
    "category_macro_f1": 0.86,
    "reason_accuracy": 0.78,
    "org_accuracy": 0.78,
    "auto_route_share": 0.85,
    "train_seconds": 300.0,
    "latency_p95_ms": 20.0,
    "rss_mb": 500.0,
}


def data_path() -> Path:
    """`$QYZMET_APPEALS_DATA`, else `<repo>/../shared/data/appeals-spb/appeals-train.jsonl.gz`."""
    env = os.environ.get("QYZMET_APPEALS_DATA")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "data" / "appeals-spb" / "appeals-train.jsonl.gz"


def _log(fraction: float, message: str) -> None:
    print(f"  appeals routing {fraction:6.1%} {message}", file=sys.stderr, flush=True)


_RSS_SCRIPT = """
import json, sys
from pathlib import Path
from qyzmet.appeals.ml import RoutingModel
model = RoutingModel.load(Path(sys.argv[1]))
model.predict([json.loads(sys.argv[2])])
def status_kb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
# VmHWM, not ru_maxrss: a child's ru_maxrss starts at its parent's (the benchmark's) at fork
print(json.dumps({"rss_mb": status_kb("VmRSS") / 1024, "peak_rss_mb": status_kb("VmHWM") / 1024}))
"""


class _LoadSampler:
    """The 1-minute load average every `every` seconds in a background thread."""

    def __init__(self, every: float = 30.0):
        self.every, self.samples = every, [os.getloadavg()[0]]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> _LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict:
        values = np.asarray(self.samples)
        return {"mean": float(values.mean()), "max": float(values.max()), "n": int(values.size)}


def _serving(model_dir: Path, sample: list[dict], n: int) -> dict:
    model = RoutingModel.load(model_dir)
    records = [features_only(r) for r in sample]
    model.predict(records[:5])  # warm up
    timings = []
    for i in range(n):
        started = time.perf_counter()
        model.predict([records[i % len(records)]])
        timings.append((time.perf_counter() - started) * 1000)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _RSS_SCRIPT,
            str(model_dir),
            json.dumps(records[0], ensure_ascii=False),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "latency_p50_ms": float(np.percentile(timings, 50)),
        "latency_p95_ms": float(np.percentile(timings, 95)),
        "latency_p99_ms": float(np.percentile(timings, 99)),
        "latency_n": n,
        "latency_load_avg": os.getloadavg()[0],
        **rss,
        "model_dir_mb": sum(p.stat().st_size for p in model_dir.iterdir()) / 1e6,
    }


def run(*, smoke: bool) -> dict:
    path = data_path()
    rows = list(read_jsonl(path))
    results: dict = {
        "data": str(path.name),
        "n_rows": len(rows),
        "smoke": smoke,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    loads = {}
    with _LoadSampler() as load:
        if smoke:
            sample = random.Random(0).sample(rows, min(4000, len(rows)))
            results["cv"] = cross_validate(sample, folds=2, seed=0, progress=_log)
            train_rows = sample
        else:
            results["cv"] = cross_validate(rows, folds=5, seed=0, progress=_log)
            results["time_split"] = time_split_validate(rows, seed=0, progress=_log)
            train_rows = rows
    loads["evaluation"] = load.summary()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model"
        with _LoadSampler(every=10.0) as load:
            started = time.perf_counter()
            metadata = train(train_rows, out_dir=out, progress=_log, seed=0)
            results["train_seconds"] = time.perf_counter() - started
        loads["training"] = load.summary()
        results["train_rows"] = len(train_rows)
        results["holdout"] = metadata["metrics"]
        results["calibration"] = metadata["calibration"]
        results["serving"] = _serving(out, rows[:1000], 100 if smoke else 1000)
    results["load_average"] = loads
    results["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return results


def _fmt(value, digits=3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"


def markdown(results: dict) -> str:
    cv = results["cv"]
    ours, base = cv.get("ours", {}), cv.get("baseline", {})
    ratio = cv.get("ratio", {})
    serving = results.get("serving", {})
    lines = [
        "## Appeals routing model",
        "",
        f"Data: `{results['data']}` ({results['n_rows']} appeals"
        f"{', smoke sample of 4,000' if results.get('smoke') else ''}); "
        f"{cv['folds']}-fold stratified cross-validation; our model and the baseline "
        "(TF-IDF word 1-2-grams + logistic regression, district one-hot for the organisation) "
        "fitted on the same training folds. Organisation accuracy counts only appeals whose "
        "organisation is known.",
        "",
        "| figure | ours | baseline | ours / baseline | target | met |",
        "|---|---|---|---|---|---|",
    ]

    def row(label: str, key: str, target_key: str | None = None, higher: bool = True) -> None:
        o = ours.get(key, {}).get("mean")
        b = base.get(key, {}).get("mean")
        std = ours.get(key, {}).get("std")
        target = TARGETS.get(target_key or key)
        met = (
            "—"
            if target is None or o is None
            else ("yes" if (o >= target if higher else o <= target) else "no")
        )
        cell = f"{_fmt(o)} ± {_fmt(std)}" if o is not None else "—"
        lines.append(
            f"| {label} | {cell} | {_fmt(b)} | {_fmt(ratio.get(key), 2)} | "
            f"{'—' if target is None else target} | {met} |"
        )

    row("category macro-F1", "category_macro_f1")
    row("category accuracy", "category_accuracy")
    row("sub-category (reason) accuracy", "reason_accuracy")
    row("responsible-organisation accuracy", "org_accuracy")
    row("routed automatically (share)", "auto_route_share")
    row("precision of the automatically routed", "auto_route_precision")
    row("ECE category confidence", "ece_category", higher=False)
    row("ECE reason confidence", "ece_reason", higher=False)
    row("ECE organisation confidence", "ece_org", higher=False)
    folds = cv.get("per_fold") or []
    if folds:
        lines += [
            "",
            "Per fold (ours / baseline):",
            "",
            "| fold | category macro-F1 | reason accuracy | organisation accuracy "
            "| routed automatically | precision of the routed |",
            "|---|---|---|---|---|---|",
        ]
        for k, fold in enumerate(folds, 1):
            o, b = fold.get("ours", {}), fold.get("baseline", {})
            lines.append(
                f"| {k} | {_fmt(o.get('category_macro_f1'))} / {_fmt(b.get('category_macro_f1'))} "
                f"| {_fmt(o.get('reason_accuracy'))} / {_fmt(b.get('reason_accuracy'))} "
                f"| {_fmt(o.get('org_accuracy'))} / {_fmt(b.get('org_accuracy'))} "
                f"| {_fmt(o.get('auto_route_share'))} | {_fmt(o.get('auto_route_precision'))} |"
            )
    ts = results.get("time_split")
    if ts:
        o, b = ts.get("ours", {}), ts.get("baseline", {})
        lines += [
            "",
            f"Time split: trained on the {ts['n_train']} appeals before {ts['test_month']}, "
            f"tested on the {ts['n_test']} of {ts['test_month']}.",
            "",
            "| figure | ours | baseline |",
            "|---|---|---|",
        ]
        for label, key in (
            ("category macro-F1", "category_macro_f1"),
            ("reason accuracy", "reason_accuracy"),
            ("organisation accuracy", "org_accuracy"),
            ("routed automatically", "auto_route_share"),
            ("precision of the automatically routed", "auto_route_precision"),
        ):
            lines.append(f"| {label} | {_fmt(o.get(key))} | {_fmt(b.get(key))} |")
    t = results.get("train_seconds")
    lines += [
        "",
        "| serving figure | measured | target | met |",
        "|---|---|---|---|",
        f"| training on {results.get('train_rows')} appeals (s) | {_fmt(t, 1)} | ≤ 300 | "
        f"{'yes' if t is not None and t <= 300 else 'no'} |",
        f"| prediction latency p50 / p95, one appeal (ms, n={serving.get('latency_n')}) | "
        f"{_fmt(serving.get('latency_p50_ms'), 1)} / {_fmt(serving.get('latency_p95_ms'), 1)} | "
        f"≤ 20 (p95) | {'yes' if serving.get('latency_p95_ms', 1e9) <= 20 else 'no'} |",
        f"| resident memory after load + one prediction, fresh process (MB) | "
        f"{_fmt(serving.get('rss_mb'), 0)} | ≤ 500 | "
        f"{'yes' if serving.get('rss_mb', 1e9) <= 500 else 'no'} |",
        f"| model directory on disk (MB) | {_fmt(serving.get('model_dir_mb'), 1)} | — | — |",
    ]
    loads = results.get("load_average", {})
    if loads:
        ev, tr = loads.get("evaluation", {}), loads.get("training", {})
        lines += [
            "",
            f"Run {results.get('started', '?')} – {results.get('finished', '?')} UTC on "
            f"{results.get('machine', {}).get('cpus', '?')} CPUs, niced. 1-minute load average "
            f"(sampled): evaluation mean {_fmt(ev.get('mean'), 1)} / max {_fmt(ev.get('max'), 1)}"
            f", full training mean {_fmt(tr.get('mean'), 1)} / max {_fmt(tr.get('max'), 1)}, "
            f"at the latency measurement {_fmt(serving.get('latency_load_avg'), 1)}; "
            f"p99 latency {_fmt(serving.get('latency_p99_ms'), 1)} ms. Wall-clock figures "
            "grow with the load; the quality figures do not.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    smoke = "--smoke" in sys.argv
    res = run(smoke=smoke)
    out = Path(os.environ.get("QYZMET_APPEALS_BENCH_OUT", "/dev/stdout"))
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=float))
    print(markdown(res))
