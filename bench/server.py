"""A real HTTP server for the benchmark: gunicorn in its own process group on a free loopback
port, stopped (the whole group) whatever happens to the benchmark."""

from __future__ import annotations

import atexit
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_PATH = "/static/qyzmet/site.css"


@dataclass(frozen=True)
class ServerConfig:
    workers: int = 2
    worker_class: str = "sync"
    threads: int = 1

    def describe(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn, {self.workers} gthread workers x {self.threads} threads"
        return f"gunicorn, {self.workers} {self.worker_class} workers"


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (free unless someone grabs it first)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (master and workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        process.wait(timeout=5)


def _ready(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", READY_PATH)
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int  # gunicorn's master; its workers are its children


@contextmanager
def gunicorn_running(
    *, config: ServerConfig, env: dict[str, str], log_path: Path, timeout: float = 60.0
) -> Iterator[RunningServer]:
    """Start gunicorn with `bench.wsgi` (embedded settings, `env` decides the database and
    DEBUG) and yield it; stop it on exit, on an exception and at interpreter exit."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "bench.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(config.workers),
        "--worker-class", config.worker_class,
        "--threads", str(config.threads),
        "--chdir", str(REPO_ROOT),
        "--timeout", "60",
        "--backlog", "2048",
        "--log-level", "warning",
        "--error-logfile", str(log_path),
    ]  # fmt: skip
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    atexit.register(_stop, process)
    try:
        deadline = time.monotonic() + timeout
        while not _ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"gunicorn did not start (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield RunningServer(url=f"http://127.0.0.1:{port}", pid=process.pid)
    finally:
        _stop(process)
