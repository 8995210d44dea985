"""Exchange gateway benchmark: the gateway's overhead per registry read, and logged exchanges/s.

* overhead: the same fact read (`population.person` of a random person) through
  `LocalRegistryClient` (the registry called directly, in-process, with its audit row) and
  through `GatewayRegistryClient` (in-process gateway: client signature, key and right checks,
  replay store, forward to the registry's facts endpoint which verifies the gateway's
  signature, checks consent and audits, signed reply, both messages in the message log,
  reply verified). Overhead = p50(gateway) − p50(direct), and the same at p95; also the CPU
  time of the benchmark process per read (`time.process_time`), which a shared machine's
  load does not inflate (the PostgreSQL server's own CPU is not in it).
* throughput: exchanges per second with message logging on (and the automatic sealing every
  QYZMET_EXCHANGE_SEAL_EVERY entries), one process, then two and four processes at once against
  the same database; then the rest is sealed and the whole log verified. The baseline of the
  same run: the same reads called directly (two processes), and the ratio gateway ÷ direct.

Each database runs in fresh subprocesses on a throwaway database (bench.databases).
`python -m bench.exchange [--smoke]` prints the markdown.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _django(url: str) -> None:
    os.environ["QYZMET_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qyzmet.settings.embedded")
    import django

    django.setup()
    from django.conf import settings

    settings.QYZMET_GATEWAY_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"
    settings.DEBUG = False


def _subjects() -> list[str]:
    from qyzmet.registries.population.models import Person

    return list(Person.objects.values_list("iin", flat=True)[:500])


def _setup(url: str) -> dict:
    _django(url)
    from django.core.management import call_command

    from qyzmet.countries.kz import demo
    from qyzmet.exchange.services import exchange_sync

    call_command("migrate", verbosity=0)
    demo.population_generate(count=300, seed=7)
    exchange_sync()
    return {"persons": len(_subjects())}


def _latency(url: str, n: int) -> dict:
    _django(url)
    import random

    from django.db import transaction

    from qyzmet.exchange.registry_client import GatewayRegistryClient, LocalRegistryClient

    subjects = _subjects()
    rng = random.Random(1)
    from qyzmet.exchange.transport import provider_time

    out: dict[str, list[float]] = {"direct": [], "gateway": [], "direct_cpu": [],
                                   "gateway_cpu": [], "provider_cpu": [],
                                   "provider_wall": []}  # fmt: skip
    clients = {"direct": LocalRegistryClient(), "gateway": GatewayRegistryClient()}
    for client in clients.values():  # warm-up: imports, key loads, connections
        for _ in range(20):
            client.fetch(registry="population", fact="person", subject=rng.choice(subjects),
                         purpose="bench", actor=None)  # fmt: skip
    for _ in range(n):  # interleaved, so drift hits both sides alike
        for name, client in clients.items():
            subject = rng.choice(subjects)
            p_cpu, p_wall = provider_time["cpu"], provider_time["wall"]
            c0, t0 = time.process_time(), time.perf_counter()
            with transaction.atomic():  # as in an application's submit: one commit per read
                client.fetch(registry="population", fact="person", subject=subject,
                             purpose="application 1 for service bench", actor=None)  # fmt: skip
            out[name].append((time.perf_counter() - t0) * 1000)
            out[f"{name}_cpu"].append((time.process_time() - c0) * 1000)
            if name == "gateway":
                out["provider_cpu"].append((provider_time["cpu"] - p_cpu) * 1000)
                out["provider_wall"].append((provider_time["wall"] - p_wall) * 1000)
    return out


def _throughput(url: str, n: int, start_at: float = 0.0, kind: str = "gateway") -> dict:
    _django(url)
    import random

    from django.db import transaction

    from qyzmet.exchange.registry_client import GatewayRegistryClient, LocalRegistryClient

    subjects = _subjects()
    rng = random.Random(os.getpid())
    client = GatewayRegistryClient() if kind == "gateway" else LocalRegistryClient()
    for _ in range(10):
        client.fetch(registry="population", fact="person", subject=rng.choice(subjects),
                     purpose="warm-up", actor=None)  # fmt: skip
    time.sleep(max(0.0, start_at - time.time()))  # processes of one run start together
    began = time.time()
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        with transaction.atomic():
            client.fetch(registry="population", fact="person", subject=rng.choice(subjects),
                         purpose="application 1 for service bench", actor=None)  # fmt: skip
    return {"calls": n, "seconds": time.perf_counter() - t0,
            "cpu_seconds": time.process_time() - c0, "began": began,
            "ended": time.time()}  # fmt: skip


def _verify(url: str) -> dict:
    _django(url)
    from qyzmet.exchange.messagelog import message_log_seal, message_log_verify
    from qyzmet.exchange.models import MessageLogSeal

    t0 = time.perf_counter()
    while message_log_seal(grace_seconds=0) is not None:
        pass
    sealed = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = message_log_verify()
    return {"ok": result.ok, "entries": result.checked, "seconds": time.perf_counter() - t0,
            "unsealed": result.unsealed, "seals": MessageLogSeal.objects.count(),
            "seal_seconds": sealed, "problems": result.problems[:5]}  # fmt: skip


def _spawn(mode: str, url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.exchange", "--worker", mode, url, *args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
    )  # fmt: skip


def _result(process: subprocess.Popen) -> Any:
    out, err = process.communicate(timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(f"bench worker failed: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def _together(url: str, procs: int, calls: int, kind: str = "gateway") -> dict[str, float]:
    """`procs` processes that start their timed loop at the same instant (after start-up and
    warm-up): the rate counts from the first start to the last end."""
    start_at = str(time.time() + 8 + 3 * procs)
    spawned = [_spawn("throughput", url, str(calls), start_at, kind) for _ in range(procs)]
    results = [_result(p) for p in spawned]
    wall = max(r["ended"] for r in results) - min(r["began"] for r in results)
    done = sum(r["calls"] for r in results)
    return {"per_s": done / wall, "cpu_ms": sum(r["cpu_seconds"] for r in results) / done * 1000}


def _one_database(url: str, *, smoke: bool) -> dict[str, Any]:
    n_latency = 30 if smoke else 1000
    n_throughput = 40 if smoke else 1500
    _result(_spawn("setup", url))
    load_before = os.getloadavg()
    lat = _result(_spawn("latency", url, str(n_latency)))
    single = _result(_spawn("throughput", url, str(n_throughput)))
    # Two processes, the size of this machine, three times (a shared machine's neighbours make
    # single runs vary by a third): median and range. Between them, the baseline of the same
    # run: the same reads with the registry called directly (its audit row, no gateway, no
    # message log), also two processes.
    pairs, directs = [], []
    for _ in range(1 if smoke else 3):
        pairs.append(_together(url, 2, n_throughput))
        directs.append(_together(url, 2, n_throughput, "direct"))
    # Four processes on two cores: while one waits for the database's answer another computes,
    # as a gateway's worker pool would.
    four = _together(url, 4, n_throughput // 2)
    verify = _result(_spawn("verify", url))
    direct, gateway = lat["direct"], lat["gateway"]
    return {
        "calls": n_latency,
        "throughput_calls": n_throughput,
        "load_avg_1min": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "direct_cpu_p50_ms": statistics.median(lat["direct_cpu"]),
        "gateway_cpu_p50_ms": statistics.median(lat["gateway_cpu"]),
        "cpu_overhead_p50_ms": statistics.median(lat["gateway_cpu"])
        - statistics.median(lat["direct_cpu"]),
        "cpu_ms_per_exchange_1proc": single["cpu_seconds"] / single["calls"] * 1000,
        "cpu_ms_per_exchange_2proc": statistics.median(p["cpu_ms"] for p in pairs),
        "provider_cpu_p50_ms": statistics.median(lat["provider_cpu"]),
        "provider_wall_p50_ms": statistics.median(lat["provider_wall"]),
        "gateway_own_cpu_p50_ms": statistics.median(
            [g - p for g, p in zip(lat["gateway_cpu"], lat["provider_cpu"], strict=True)]),
        "direct_p50_ms": statistics.median(direct),
        "direct_p95_ms": _percentile(direct, 95),
        "gateway_p50_ms": statistics.median(gateway),
        "gateway_p95_ms": _percentile(gateway, 95),
        "overhead_p50_ms": statistics.median(gateway) - statistics.median(direct),
        "overhead_p95_ms": _percentile(gateway, 95) - _percentile(direct, 95),
        "exchanges_per_s_1proc": single["calls"] / single["seconds"],
        "exchanges_per_s_2proc": statistics.median(p["per_s"] for p in pairs),
        "exchanges_per_s_2proc_runs": [round(p["per_s"]) for p in pairs],
        "exchanges_per_s_4proc": four["per_s"],
        "direct_reads_per_s_2proc": statistics.median(d["per_s"] for d in directs),
        "log_entries": verify["entries"],
        "log_verified": verify["ok"],
        "log_problems": verify["problems"],
        "log_seals": verify["seals"],
        "log_unsealed": verify["unsealed"],
        "seal_rest_s": verify["seal_seconds"],
        "verify_s": verify["seconds"],
    }


def run(*, smoke: bool) -> dict:
    """Figures per database (sqlite always; postgres when the local server answers)."""
    from bench.databases import postgres_available, postgres_database, sqlite_database
    from bench.machine import machine_describe

    results: dict[str, Any] = {"smoke": smoke, "machine": machine_describe(), "databases": {}}
    with sqlite_database() as url:
        results["databases"]["sqlite"] = _one_database(url, smoke=smoke)
    why = postgres_available()
    if why is None:
        with postgres_database() as url:
            results["databases"]["postgres"] = _one_database(url, smoke=smoke)
    else:
        results["databases"]["postgres"] = {"skipped": why}
    return results


def markdown(results: dict) -> str:
    lines = [
        "## Exchange gateway" + (" (smoke)" if results.get("smoke") else ""),
        "",
        "Targets: overhead ≤ 2 ms p50 in-process; ≥ 500 logged exchanges/s with PostgreSQL.",
        "",
        "| database | direct p50 / p95 ms | gateway p50 / p95 ms | overhead p50 / p95 ms "
        "| CPU ms per read (p50): direct / gateway / overhead / of which provider view "
        "| logged exchanges/s: 1 / 2 (median of runs) / 4 procs | 2 procs, each run "
        "| direct reads/s (2 procs) "
        "| gateway ÷ direct (2 procs) | CPU ms per exchange (1 / 2 procs) "
        "| log verified | load avg (1 min) before / after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["databases"].items():
        if "skipped" in r:
            lines.append(f"| {name} | skipped: {r['skipped']} | | | | | | | | | | |")
            continue
        load = r.get("load_avg_1min", ["?", "?"])
        lines.append(
            f"| {name} | {r['direct_p50_ms']:.2f} / {r['direct_p95_ms']:.2f} "
            f"| {r['gateway_p50_ms']:.2f} / {r['gateway_p95_ms']:.2f} "
            f"| {r['overhead_p50_ms']:.2f} / {r['overhead_p95_ms']:.2f} "
            f"| {r['direct_cpu_p50_ms']:.2f} / {r['gateway_cpu_p50_ms']:.2f} / "
            f"{r['cpu_overhead_p50_ms']:.2f} / {r['provider_cpu_p50_ms']:.2f} "
            f"| {r['exchanges_per_s_1proc']:.0f} / {r['exchanges_per_s_2proc']:.0f} / "
            f"{r['exchanges_per_s_4proc']:.0f} "
            f"| {', '.join(map(str, r['exchanges_per_s_2proc_runs']))} "
            f"| {r['direct_reads_per_s_2proc']:.0f} "
            f"| {r['exchanges_per_s_2proc'] / r['direct_reads_per_s_2proc']:.2f} "
            f"| {r['cpu_ms_per_exchange_1proc']:.2f} / {r['cpu_ms_per_exchange_2proc']:.2f} "
            f"| {r['log_entries']} entries in {r['log_seals']} seals, "
            f"{'ok' if r['log_verified'] else 'BROKEN'} ({r['verify_s']:.1f} s) "
            f"| {load[0]} / {load[1]} |"
        )
    m = results.get("machine", {})
    lines += ["", f"Machine: {m.get('cpu_model')}, {m.get('cores')} cores, "
              f"{m.get('ram_gib')} GiB RAM."]  # fmt: skip
    return "\n".join(lines) + "\n"


def _worker(argv: list[str]) -> None:
    mode, url, *rest = argv
    start_at = float(rest[1]) if len(rest) > 1 else 0.0
    kind = rest[2] if len(rest) > 2 else "gateway"
    funcs = {"setup": lambda: _setup(url), "latency": lambda: _latency(url, int(rest[0])),
             "throughput": lambda: _throughput(url, int(rest[0]), start_at, kind),
             "verify": lambda: _verify(url)}  # fmt: skip
    print(json.dumps(funcs[mode]()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2:])
    else:
        print(markdown(run(smoke="--smoke" in sys.argv)))
