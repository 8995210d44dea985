"""The platform as separate processes for the payment fault tests: the web server that receives
the acquirer's webhooks (gunicorn, so one of its workers can be killed mid-request and the master
starts another), a Celery worker and Celery beat, all on the test's PostgreSQL database and a
real broker. Each process is ours to kill; each writes a log that a failing test prints."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.payments.fault_settings"


def database_url(settings_dict: dict[str, Any]) -> str:
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


def environment(*, db_url: str, broker: str, sandbox_url: str, secret: str) -> dict[str, str]:
    """What every platform process is started with: the same database, broker and acquirer."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "PYTHONUNBUFFERED": "1",
        "QYZMET_DEBUG": "0",
        "QYZMET_DATABASE_URL": db_url,
        "QYZMET_CELERY_BROKER_URL": broker,
        "QYZMET_PAYMENT_SANDBOX_URL": sandbox_url,
        "QYZMET_PAYMENT_SANDBOX_SECRET": secret,
        "QYZMET_PAYMENT_SANDBOX_TIMEOUT": "5",
    }


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, what: str = "") -> Any:
    """Poll `predicate` until it returns something true; fail by name after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
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


class Process:
    """One child process in its own session (so stopping it stops its children too)."""

    name = "process"

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.log = workdir / f"{self.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> Process:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        """`kill -9` of the process and its children (an out-of-memory kill, a lost host)."""
        if not self.alive():
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def output(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""


class WebServer(Process):
    """gunicorn serving the platform (one gthread worker of four threads: a request blocked in
    the database does not hold up the others) on a fixed free port, kept across restarts."""

    name = "web"

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        super().__init__(workdir, env)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "qyzmet.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
            "--worker-class", "gthread", "--threads", "4", "--timeout", "60",
            "--graceful-timeout", "5", "--log-level", "info",
        ]  # fmt: skip

    def start(self) -> WebServer:
        super().start()
        wait_for(self.ready, timeout=60, what=f"the web server to answer\n{self.output()}")
        return self

    def ready(self) -> bool:
        if not self.alive():
            raise AssertionError(f"the web server exited:\n{self.output()}")
        try:
            return httpx.get(f"{self.url}/static/qyzmet/site.css", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def workers(self) -> list[int]:
        assert self.process is not None
        return _children(self.process.pid)

    def kill_workers(self) -> list[int]:
        """`kill -9` every worker: what an out-of-memory kill or a crashed host does to the
        requests in flight. The master starts a new worker, as in production."""
        killed = self.workers()
        for pid in killed:
            os.kill(pid, signal.SIGKILL)
        return killed


class CeleryWorker(Process):
    name = "worker"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "qyzmet", "worker", "--pool=solo",
            "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip


class CeleryBeat(Process):
    name = "beat"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "qyzmet", "beat", "--loglevel=INFO",
            "--schedule", str(self.workdir / "beat-schedule"),
        ]  # fmt: skip
