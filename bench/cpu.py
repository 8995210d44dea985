"""CPU time per request, by who spent it: the gunicorn processes, the database's backends and
the load generator. The machine is shared (other work can take cores away mid-run), so rates
alone mislead; CPU per request does not depend on how busy the machine was, and turns into the
rate an idle machine would reach: cores / (server + database CPU per request)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), 0.0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def process_tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process and its direct children (gunicorn's master and workers)."""
    return {p: process_cpu_seconds(p) for p in [pid, *children(pid)]}


def database_backends_cpu() -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving the benchmark's database, except the
    bench process's own connection; empty for SQLite (its work is inside the server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [row[0] for row in cursor.fetchall()]
    return {p: process_cpu_seconds(p) for p in pids}


def probe_for(server_pid: int) -> Callable[[], dict[str, dict[int, float]]]:
    """A snapshot function for `load.closed_loop`: cumulative CPU by role and process."""

    def probe() -> dict[str, dict[int, float]]:
        return {
            "server": process_tree_cpu(server_pid),
            "database": database_backends_cpu(),
            "load_generator": {os.getpid(): process_cpu_seconds(os.getpid())},
        }

    return probe


def cpu_delta(start: dict, end: dict) -> dict[str, float]:
    """Seconds spent between two snapshots, per role (a process new since `start` counts whole)."""
    return {
        role: sum(max(0.0, cpu - start.get(role, {}).get(pid, 0.0)) for pid, cpu in procs.items())
        for role, procs in end.items()
    }
