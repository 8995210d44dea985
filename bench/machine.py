"""What the figures were measured on: a benchmark number means nothing without its machine."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path
from typing import Any


def _cpuinfo_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine_describe() -> dict[str, Any]:
    """CPU model, cores, RAM, OS and the versions of everything on the request path."""
    import django
    import gunicorn

    return {
        "cpu_model": _cpuinfo_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine skews every figure: say how busy it was when measured.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
