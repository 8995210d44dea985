"""The analytics pictures without waiting for them: a cache around `charts`' public functions.

Drawing is the slow part of the analytics page (matplotlib PNGs, server-side SVG): seconds on a
cold process, while the numbers behind them are five GROUP BYs. So what a page or chart shows is
kept in the Django cache (the embedded default's local memory, or Redis) under

    appeals:charts:<SCHEMA>:<kind>:<period>:<language>:<data version>

where the data version (`data_version`) is one cheap aggregate over the appeals: the largest id,
the latest `updated_at` and the count. A new appeal, a status change or a deletion changes it,
so a stale picture is never served as current.

No page waits on drawing, even the first load after a change:

* *precompute*: after an appeal is saved or deleted (on commit), every combination this
  process has served is drawn again in the background;
* *stale while revalidate*: a request whose version is not drawn yet gets the newest picture
  drawn for the same chart, period and language (at most one change old, the precompute is
  already on its way) and asks for a refresh;
* only a combination nobody has ever looked at is drawn in the request itself.

Background work runs in one in-process worker thread (`QYZMET_CHART_REFRESH = "thread"`, the
default: the embedded mode has no broker, and a worker process would not share the embedded
cache anyway); `"inline"` (tests) and `"off"` serve nothing stale: a request whose version is
not drawn yet draws it itself, and `"off"` never precomputes. Each
refresh is queued at most once while it waits, and one combination is redrawn in the background
at most once per `REFRESH_INTERVAL` (30 s; `QYZMET_CHART_REFRESH_INTERVAL`): under a stream of
new appeals the numbers shown lag by at most that plus one drawing, and the worker does not
hold the interpreter all the time (on SQLite the weekly GROUP BYs run Python functions, so a
busy worker slows every request of its process). `QYZMET_CHART_PRECOMPUTE` (default on) turns the
after-save precompute on or off. With several web processes and Redis, a process precomputes
what it has served itself; the others' next request is served the newest drawing (shared
through Redis) while they refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import translation

from .models import Appeal

log = logging.getLogger(__name__)
T = TypeVar("T")

SCHEMA = "1"  # bump when what is cached changes shape
TTL = 24 * 3600  # a version's pictures: until the data changes (the key changes) or a day passes
LATEST_TTL = 7 * 24 * 3600  # the newest picture per chart, period and language (stale fallback)

_builders: dict[tuple[str, str, str], Callable[[], Any]] = {}  # the last build of each combo
_pending: set[tuple[str, str, str]] = set()
_drawn_at: dict[tuple[str, str, str], float] = {}  # monotonic time of the last background redraw
REFRESH_INTERVAL = 30.0  # seconds between two background redraws of one combination
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def data_version() -> str:
    """What the appeals' analytics depend on, in one aggregate query: the largest id (new
    appeals), the latest update (status changes, answers) and the count (deletions)."""
    found = Appeal.objects.aggregate(top=Max("id"), changed=Max("updated_at"), n=Count("id"))
    changed = found["changed"].isoformat() if found["changed"] else "-"
    return f"{found['top'] or 0}.{found['n']}.{changed}"


def _key(kind: str, period: str, lang: str, version: str) -> str:
    return f"appeals:charts:{SCHEMA}:{kind}:{period}:{lang}:{version}"


def _latest_key(kind: str, period: str, lang: str) -> str:
    return f"appeals:charts:{SCHEMA}:{kind}:{period}:{lang}:latest"


def _mode() -> str:
    return getattr(settings, "QYZMET_CHART_REFRESH", "thread")


def _draw(combo: tuple[str, str, str], build: Callable[[], T], version: str) -> T:
    """Build one combination in its language and keep it under its version and as the latest."""
    kind, period, lang = combo
    with translation.override(lang):
        value = build()
    cache.set(_key(kind, period, lang, version), value, TTL)
    cache.set(_latest_key(kind, period, lang), (version, value), LATEST_TTL)
    return value


def _refresh_run(combo: tuple[str, str, str]) -> None:
    if _mode() == "thread":
        # At most one redraw per combination per interval: a stream of new appeals must not
        # keep the worker drawing (and holding the interpreter) all the time. Changes that come
        # in while it waits are covered by the one redraw that follows.
        interval = float(getattr(settings, "QYZMET_CHART_REFRESH_INTERVAL", REFRESH_INTERVAL))
        wait = _drawn_at.get(combo, 0.0) + interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    with _lock:
        _pending.discard(combo)
        build = _builders.get(combo)
    if build is None:
        return
    try:
        version = data_version()
        if cache.get(_key(*combo, version)) is None:
            _draw(combo, build, version)
            _drawn_at[combo] = time.monotonic()
    except Exception:  # a background refresh must never take the process down
        log.exception("refreshing analytics chart %s failed", combo)
    finally:
        if _mode() == "thread":
            connection.close()  # this worker thread's own connection


def refresh(combo: tuple[str, str, str]) -> None:
    """Draw `combo` again for the current data, in the background (see the module's doc)."""
    mode = _mode()
    if mode == "off":
        return
    if mode == "inline":
        _refresh_run(combo)
        return
    global _executor
    with _lock:
        if combo in _pending:
            return
        _pending.add(combo)
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="appeal-charts")
    _executor.submit(_refresh_run, combo)


def drain(timeout: float = 60.0) -> None:
    """Wait until the background refreshes queued so far are done (tests, benchmarks)."""
    if _executor is not None:
        _executor.submit(lambda: None).result(timeout=timeout)


def cached(*, kind: str, period: str, lang: str, build: Callable[[], T]) -> T:
    """What `build()` returns for this chart (or page), period and language, from the cache
    when the appeals have not changed since it was drawn; else the newest drawing while a
    refresh is on its way; drawn here only the first time the combination is ever asked for.
    `build` must be self-contained (it may run later, in another thread, in `lang`)."""
    combo = (kind, period, lang)
    with _lock:
        _builders[combo] = build  # bounded: kinds × periods × languages
    version = data_version()
    value = cache.get(_key(kind, period, lang, version))
    if value is not None:
        return value
    if _mode() == "thread":
        latest = cache.get(_latest_key(kind, period, lang))
        if latest is not None:
            refresh(combo)
            return latest[1]
    return _draw(combo, build, version)


def appeals_changed() -> None:
    """After an appeal is saved or deleted: once the change commits, draw again every
    combination this process has served, in the background."""
    if not getattr(settings, "QYZMET_CHART_PRECOMPUTE", True) or _mode() == "off":
        return

    def precompute() -> None:
        with _lock:
            combos = list(_builders)
        for combo in combos:
            refresh(combo)

    transaction.on_commit(precompute)


def _on_appeal_change(sender: Any, **kwargs: Any) -> None:
    appeals_changed()


def signals_connect() -> None:
    """Called from the app's `ready()`: every save or delete of an appeal counts as a change."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_appeal_change, sender=Appeal, dispatch_uid="appeal-charts-save")
    post_delete.connect(_on_appeal_change, sender=Appeal, dispatch_uid="appeal-charts-delete")
