"""Running a library's coroutine from synchronous code, wherever that code runs.

pyHanko's signing and validation are coroutines. `asyncio.run` refuses to start when the calling
thread already runs an event loop (an ASGI server, a test runner with its own loop); then the
coroutine gets a short-lived thread of its own, so the same service function works under WSGI,
ASGI, Celery and the command line."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def coroutine_run(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, run to completion in this thread or, when this thread already
    runs an event loop, in a helper thread (which this call waits for)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qyzmet-coroutine") as pool:
        return pool.submit(asyncio.run, coroutine).result()
