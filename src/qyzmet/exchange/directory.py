"""A per-process snapshot of the exchange's directory, valid exactly as long as the database says.

Why: the gateway decides every call from rows that rarely change (subsystems, services, access
rights, client keys, its own signing key). Reading them on every call cost five to eight
queries, most of an exchange's time. X-Road security servers cache their global configuration
too, but for minutes; we cannot: a revoked right or key must stop the very next call.

How it stays correct: the one-row table `exchange_directoryversion` holds a random token.
Database triggers (migration 0003) give it a new random value in the same statement as every
INSERT, UPDATE or DELETE on members, subsystems, services, access rights, client keys and local
keys — whoever writes (services, the admin, a shell, another process), and in the same
transaction, so the change and the new token commit together (or roll back together, bringing
back the old token *and* the old rows). Each call reads the token (one primary-key read) and
reuses the snapshot only when the token is the one it was built under; else it rebuilds it,
reading the token first so that a snapshot is never filed under a newer token than its rows.
A random token rather than a counter because a rolled-back transaction would otherwise hand the
same counter value to a different state (a test's rollback, or a failed grant). When the row is
missing (a flushed test database) nothing is cached.

`scope()` pins one validated snapshot for the duration of one exchange in one thread, so the
in-process provider's check of the gateway's signature and the client's check of the reply do
not read the token again. Directory changes made *inside* a scope are not seen by that scope
(none happen during an exchange)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction

from . import signing
from .models import AccessRight, ClientKey, Service, Subsystem

_VERSION_SQL = "SELECT token FROM exchange_directoryversion WHERE id = 1"


@dataclass(frozen=True)
class ServiceEntry:
    pk: int
    xroad_id: str
    code: str
    subsystem_code: str
    base_url: str
    personal_data: bool


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    subsystem_pk: int
    subsystem_id: str
    public: signing.PublicKey


@dataclass
class Snapshot:
    token: int | None
    subsystems: dict[str, int]  # xroad id → pk
    services: dict[str, ServiceEntry]
    rights: frozenset[tuple[int, int]]  # (service pk, client subsystem pk)
    keys: dict[str, KeyEntry]  # active keys only
    local_keys: dict[str, signing.Signer] = field(default_factory=dict)

    def local_key(self, name: str, loader) -> signing.Signer:
        signer = self.local_keys.get(name)
        if signer is None:
            signer = self.local_keys[name] = loader()
        return signer

    def registry_service(self, registry: str, service_code: str) -> str | None:
        for entry in self.services.values():
            if entry.subsystem_code == registry and entry.code == service_code:
                return entry.xroad_id
        return None


_lock = threading.Lock()
_cached: Snapshot | None = None
_local = threading.local()
# How many times this process rebuilt the snapshot (tests and the benchmark read it).
stats = {"loads": 0}


def token_read() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _load(token: int | None) -> Snapshot:
    stats["loads"] += 1
    services = {
        xid: ServiceEntry(pk, xid, code, sub_code, base_url, personal)
        for pk, xid, code, sub_code, base_url, personal in Service.objects.values_list(
            "pk", "xroad_id", "code", "subsystem__code", "base_url", "personal_data"
        )
    }
    keys = {
        kid: KeyEntry(kid, sub_pk, sub_id, signing.public_key_load(pem))
        for kid, sub_pk, sub_id, pem in ClientKey.objects.filter(
            revoked_at__isnull=True
        ).values_list("key_id", "subsystem_id", "subsystem__xroad_id", "public_pem")
    }
    return Snapshot(
        token=token,
        subsystems=dict(Subsystem.objects.values_list("xroad_id", "pk")),
        services=services,
        rights=frozenset(AccessRight.objects.values_list("service_id", "client_id")),
        keys=keys,
    )


def current() -> Snapshot:
    """The directory as the database has it now (one indexed read when nothing changed)."""
    pinned = getattr(_local, "snapshot", None)
    if pinned is not None:
        return pinned
    global _cached
    token = token_read()
    cached = _cached
    if token is not None and cached is not None and cached.token == token:
        return cached
    snapshot = _load(token)
    if token is not None:
        with _lock:
            _cached = snapshot
    return snapshot


def _txn_marker() -> None:
    """Registered with on_commit: present in `connection.run_on_commit` exactly while the
    transaction (and savepoint) it was registered in is neither committed nor rolled back."""


def current_for_lookup() -> Snapshot:
    """For look-ups that decide nothing (which service id a registry has, which key this
    installation signs with): the snapshot already validated in this same database transaction
    is reused without reading the token again. A stale answer can only make the gateway — which
    always reads the token — refuse the call. Outside a transaction this is `current()`."""
    pinned = getattr(_local, "snapshot", None)
    if pinned is not None:
        return pinned
    if not connection.in_atomic_block:
        return current()
    memo = getattr(_local, "txn", None)
    if memo is not None and memo[0] is connection and any(
        item[1] is memo[1] for item in connection.run_on_commit
    ):  # fmt: skip
        return memo[2]
    snapshot = current()
    marker = functools.partial(_txn_marker)  # a fresh object per transaction
    transaction.on_commit(marker)
    _local.txn = (connection, marker, snapshot)
    return snapshot


@contextmanager
def scope() -> Iterator[Snapshot]:
    """Pin one validated snapshot for the calls nested in this block (same thread)."""
    pinned = getattr(_local, "snapshot", None)
    if pinned is not None:
        yield pinned
        return
    _local.snapshot = current()
    try:
        yield _local.snapshot
    finally:
        _local.snapshot = None


def forget() -> None:
    """Drop this process's snapshot (tests; never needed for correctness)."""
    global _cached
    with _lock:
        _cached = None

