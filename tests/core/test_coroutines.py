"""coroutine_run works both where asyncio.run would and inside a running event loop (where
asyncio.run raises), so pyHanko's signing works under ASGI too."""

from __future__ import annotations

import asyncio
import threading

import pytest

from qyzmet.core.coroutines import coroutine_run


async def _where() -> tuple[str, int]:
    await asyncio.sleep(0)
    return threading.current_thread().name, 42


def test_runs_in_this_thread_without_a_loop():
    name, value = coroutine_run(_where())
    assert value == 42 and name == threading.current_thread().name


def test_runs_inside_a_running_loop_where_asyncio_run_fails():
    async def caller() -> tuple[str, int]:
        stray = _where()
        with pytest.raises(RuntimeError):
            asyncio.run(stray)
        stray.close()
        return coroutine_run(_where())

    name, value = asyncio.run(caller())
    assert value == 42 and name.startswith("qyzmet-coroutine")

