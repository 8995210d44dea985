"""Throwaway databases for one benchmark run: a SQLite file in a temporary folder, or a fresh
PostgreSQL database on the local server. Whatever is created is dropped again, also when the
run fails (the caller's `finally`) or the interpreter exits (atexit)."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

POSTGRES_URL = os.environ.get("QYZMET_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _pg_admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None when the server answers, else why not."""
    try:
        with _pg_admin(url):
            return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()


def _pg_drop(url: str, name: str) -> None:
    with _pg_admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_database(*, url: str = POSTGRES_URL) -> Iterator[str]:
    """A new, empty PostgreSQL database; yields its URL and drops it afterwards."""
    name = f"qyzmet_bench_{os.getpid()}_{os.urandom(3).hex()}"
    with _pg_admin(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_pg_drop, url, name)
    try:
        yield _with_db(url, name)
    finally:
        _pg_drop(url, name)
        atexit.unregister(_pg_drop)


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A SQLite file in a new temporary folder; yields its URL and removes the folder after."""
    folder = tempfile.mkdtemp(prefix="qyzmet-bench-")
    atexit.register(shutil.rmtree, folder, True)
    try:
        yield f"sqlite:///{folder}/bench.sqlite3"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
