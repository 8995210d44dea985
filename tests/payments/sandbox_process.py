"""Fixtures of the sandbox acquirer process for the sandbox tests, which load this module with
`pytest_plugins` (conftest.py is the engine's: its in-memory `test` provider lives there).

`sandbox` is one process per test module (faults reset before each test); `sandbox_factory`
starts extra processes with their own options (a short page timeout) and stops them after the
test; `webhook_sink` receives the webhooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.payments.sandbox_support import SandboxProcess, WebhookSink


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    process = SandboxProcess(tmp_path_factory.mktemp("sandbox")).start()
    yield process
    process.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxProcess) -> SandboxProcess:
    if sandbox_server.process is None or sandbox_server.process.poll() is not None:
        sandbox_server.start()  # a test killed it
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        process = SandboxProcess(tmp_path / f"sandbox-{len(started)}", *args).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    yield sink
    sink.close()
