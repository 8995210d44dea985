"""The transparency log as the document verifier reads it: a registration point.

Transparency logs each document's issue (it reads the document), and the verifier here checks a
document's inclusion proof against the log's root: so that the two apps do not import each
other, transparency registers its read side (its selectors module) from its app's `ready()`.
The proof itself is still checked in `selectors._log_status`, independently of the log's code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class TransparencyLog(Protocol):
    """The reads the verifier needs (`qyzmet.transparency.selectors` provides them)."""

    def document_log_entries(self, *, public_id: str) -> Sequence[Any]: ...

    def log_size(self) -> int: ...

    def proof_inclusion(self, *, leaf_index: int, tree_size: int) -> list[bytes]: ...

    def root_at(self, *, tree_size: int) -> bytes: ...

    def tree_head_latest(self) -> Any: ...


_log: TransparencyLog | None = None


def transparency_log_register(log: TransparencyLog) -> None:
    """Install the transparency log's read side (called once, from transparency's ready())."""
    global _log
    _log = log


def transparency_log() -> TransparencyLog:
    """The registered log; verifying without one would wrongly say "not in the log"."""
    if _log is None:
        raise RuntimeError("The transparency app has not registered its log (app not ready?)")
    return _log
