"""The load generator: closed-loop clients (one thread and one keep-alive connection each) for a
fixed time, plus a sequential sampler for latencies.

It uses the standard library's `http.client` rather than httpx on purpose: the generator shares
the machine's two cores with the server, and http.client spends several times less CPU per
request, so more of the machine is left to the server being measured."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# (method, path, headers, body) for the n-th request of client c.
RequestFactory = Callable[[int, int], tuple[str, str, dict[str, str], bytes | None]]


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (inclusive method); 0.0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(pct) - 1]


@dataclass
class LoadResult:
    name: str
    clients: int
    duration_s: float
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    def summary(self) -> dict[str, Any]:
        per_request = {
            f"{role}_cpu_ms_per_request": round(seconds / self.ok * 1000, 2) if self.ok else None
            for role, seconds in self.cpu_s.items()
        }
        return {**per_request, **self._basic()}

    def _basic(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clients": self.clients,
            "duration_s": round(self.duration_s, 2),
            "ok": self.ok,
            "errors": dict(self.errors),
            "rate_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p95_ms": round(percentile(self.latencies_ms, 95), 2),
        }


class _Connection:
    """One keep-alive connection; reopened when the server closes it (sync workers do)."""

    def __init__(self, base_url: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None):
        try:
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed a kept-alive connection between requests: reconnect once.
            self._conn.close()
            self._conn.request(method, path, body=body, headers=headers)
            response = self._conn.getresponse()
        payload = response.read()
        return response.status, payload

    def close(self) -> None:
        self._conn.close()


def closed_loop(
    *,
    name: str,
    base_url: str,
    factory: RequestFactory,
    expect: int,
    clients: int,
    duration: float,
    warmup: float,
    timeout: float = 30.0,
    cpu_probe: Callable[[], dict] | None = None,
) -> LoadResult:
    """`clients` threads send requests back to back for warmup + duration seconds. Only requests
    that finish inside the measured window count; only status `expect` counts as success.
    `cpu_probe` (see bench.cpu) is read at the window's start and end."""
    result = LoadResult(name=name, clients=clients, duration_s=duration)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    window: dict[str, float] = {}

    def worker(c: int) -> None:
        conn = _Connection(base_url, timeout)
        ok = 0
        errors: Counter = Counter()
        latencies: list[float] = []
        barrier.wait()
        start, end = window["start"], window["end"]
        n = 0
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= end:
                    break
                method, path, headers, body = factory(c, n)
                n += 1
                try:
                    status, _ = conn.send(method, path, headers, body)
                    outcome = "ok" if status == expect else f"http_{status}"
                except (OSError, http.client.HTTPException) as exc:
                    outcome = type(exc).__name__
                    conn.close()
                t1 = time.perf_counter()
                if start <= t1 <= end:
                    if outcome == "ok":
                        ok += 1
                        latencies.append((t1 - t0) * 1000)
                    else:
                        errors[outcome] += 1
        finally:
            conn.close()
            with lock:
                result.ok += ok
                result.errors.update(errors)
                result.latencies_ms.extend(latencies)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    window["start"] = now + warmup
    window["end"] = now + warmup + duration
    barrier.wait()
    if cpu_probe is not None:
        from .cpu import cpu_delta

        time.sleep(max(0.0, window["start"] - time.perf_counter()))
        cpu_start = cpu_probe()
        time.sleep(max(0.0, window["end"] - time.perf_counter()))
        result.cpu_s = cpu_delta(cpu_start, cpu_probe())
    for thread in threads:
        thread.join(timeout=warmup + duration + timeout + 5)
    return result


def sequential(
    *,
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    samples: int,
    warmup: int,
    expect: int = 200,
) -> tuple[list[float], Counter]:
    """One client, one request at a time: the latency a person waits for, without queueing."""
    conn = _Connection(base_url, 30.0)
    latencies: list[float] = []
    errors: Counter = Counter()
    try:
        for i in range(warmup + samples):
            t0 = time.perf_counter()
            status, _ = conn.send(method, path, headers, None)
            elapsed = (time.perf_counter() - t0) * 1000
            if i < warmup:
                continue
            if status == expect:
                latencies.append(elapsed)
            else:
                errors[f"http_{status}"] += 1
    finally:
        conn.close()
    return latencies, errors


def get_json(base_url: str, path: str, headers: dict[str, str]) -> Any:
    """One GET whose JSON body the benchmark needs (e.g. the next inbox cursor)."""
    import json

    conn = _Connection(base_url, 30.0)
    try:
        status, payload = conn.send("GET", path, headers, None)
    finally:
        conn.close()
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {payload[:500]!r}")
    return json.loads(payload)
