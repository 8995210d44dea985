"""The directory witness: one file per head, `sth-<size, 20 digits>.json`, never overwritten.

Point it at a directory the database's owner cannot write: a mount of another machine, a
WORM/object-lock bucket synced from it, a disk another team keeps. The file is written under a
temporary name, fsynced, then hard-linked to its final name (which fails if the name exists),
and the directory is fsynced: a head is either there completely or not at all.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from .base import Witness, WitnessFailed, head_bytes, register

PATTERN = "sth-*.json"


def head_file_name(tree_size: int) -> str:
    return f"sth-{tree_size:020d}.json"


@register("directory")
class DirectoryWitness(Witness):
    def __init__(self, *, path: str | os.PathLike, name: str = "") -> None:
        super().__init__(path=str(path), name=name)
        self.path = Path(path)

    def where(self) -> str:
        return str(self.path)

    def publish(self, head: dict[str, Any]) -> None:
        body = head_bytes(head)
        final = self.path / head_file_name(int(head["tree_size"]))
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if final.exists():
                self._same_or_refuse(final, body)
                return
            temporary = self.path / f".{final.name}.{uuid.uuid4().hex}.tmp"
            try:
                with open(temporary, "xb") as handle:
                    handle.write(body)
                    handle.flush()
                    os.fsync(handle.fileno())
                try:
                    os.link(temporary, final)
                except FileExistsError:
                    self._same_or_refuse(final, body)
                    return
            finally:
                temporary.unlink(missing_ok=True)
            directory = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise WitnessFailed(f"{self.name}: {exc}") from exc

    def _same_or_refuse(self, final: Path, body: bytes) -> None:
        if final.read_bytes() != body:
            raise WitnessFailed(
                f"{self.name}: {final.name} already holds a different head for this size "
                "(two heads of one size: the log forked)"
            )
