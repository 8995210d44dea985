"""The witness contract and its registry."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings


class WitnessFailed(RuntimeError):
    """A witness could not take a head now (raised `from` the cause); the outbox retries."""


class WitnessConfigError(ValueError):
    """`QYZMET_TREE_HEAD_WITNESSES` names an unknown kind or lacks a required option."""


class Witness(ABC):
    """Publishes signed tree head documents (see `selectors.tree_head_document`) somewhere the
    database's owner cannot rewrite. `publish` must be idempotent: the same head may be
    published again after a failure elsewhere (a witness must accept the same document twice,
    and refuse a *different* document for a size it already holds)."""

    kind: ClassVar[str]

    def __init__(self, **options: Any) -> None:
        self.options = options

    @property
    def name(self) -> str:
        """Names the witness in logs and errors: its kind and where it publishes."""
        return f"{self.kind}:{self.options.get('name') or self.where()}"

    @abstractmethod
    def where(self) -> str:
        """The destination, for people (a path, an address, a URL)."""

    @abstractmethod
    def publish(self, head: dict[str, Any]) -> None:
        """Publish one head document; raise WitnessFailed when it cannot be done now."""


WITNESS_KINDS: dict[str, type[Witness]] = {}


def register(kind: str) -> Callable[[type[Witness]], type[Witness]]:
    def add(cls: type[Witness]) -> type[Witness]:
        cls.kind = kind
        WITNESS_KINDS[kind] = cls
        return cls

    return add


def _config() -> list[dict[str, Any]]:
    configured = getattr(settings, "QYZMET_TREE_HEAD_WITNESSES", None)
    if configured is None:
        raw = os.environ.get("QYZMET_TREE_HEAD_WITNESSES", "")
        configured = json.loads(raw) if raw.strip() else []
    if not isinstance(configured, list):
        raise WitnessConfigError("QYZMET_TREE_HEAD_WITNESSES must be a list of objects")
    return configured


def witnesses_configured() -> list[Witness]:
    """The witnesses of this deployment, in configuration order."""
    from . import directory, email, http  # noqa: F401  (register the built-in kinds)

    witnesses = []
    for position, spec in enumerate(_config()):
        options = dict(spec)
        kind = options.pop("kind", None)
        if kind not in WITNESS_KINDS:
            raise WitnessConfigError(
                f"QYZMET_TREE_HEAD_WITNESSES[{position}]: unknown kind {kind!r} "
                f"(known: {', '.join(sorted(WITNESS_KINDS))})"
            )
        try:
            witnesses.append(WITNESS_KINDS[kind](**options))
        except (TypeError, KeyError) as exc:
            raise WitnessConfigError(f"QYZMET_TREE_HEAD_WITNESSES[{position}]: {exc}") from exc
    return witnesses


def head_bytes(head: dict[str, Any]) -> bytes:
    """One head document as published: canonical JSON and a newline."""
    return json.dumps(head, sort_keys=True, separators=(",", ":")).encode() + b"\n"
