"""coroutine_run works both where asyncio.run would and inside a running event loop (where
asyncio.run raises), so pyHanko's signing works under ASGI and beside Playwright's sync API.
Each case runs in a thread of its own: the test runner's main thread may already run a loop
(the browser tests leave Playwright's)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from qyzmet.core.coroutines import coroutine_run


async def _where() -> tuple[str, int]:
    await asyncio.sleep(0)
    return threading.current_thread().name, 42


def _in_fresh_thread(fn: Callable[[], Any]) -> tuple[str, Any]:
    out: dict[str, Any] = {}

    def body() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # handed back to the test
            out["error"] = exc

    thread = threading.Thread(target=body, name="test-caller")
    thread.start()
    thread.join(timeout=30)
    if "error" in out:
        raise out["error"]
    return thread.name, out["value"]


def test_runs_in_the_calling_thread_when_no_loop_runs_there():
    caller, (name, value) = _in_fresh_thread(lambda: coroutine_run(_where()))
    assert value == 42 and name == caller


def test_runs_inside_a_running_loop_where_asyncio_run_fails():
    async def caller() -> tuple[str, int]:
        stray = _where()
        with pytest.raises(RuntimeError):
            asyncio.run(stray)
        stray.close()
        return coroutine_run(_where())

    _caller, (name, value) = _in_fresh_thread(lambda: asyncio.run(caller()))
    assert value == 42 and name.startswith("qyzmet-coroutine")
