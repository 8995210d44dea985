"""The demo's people, as the country pack defines them: a registration point.

The apps' demo data (appeals, participation, ...) needs the pack's demo citizens and officers to
act as, but the pack depends on the platform, never the reverse: the pack registers its cast from
its app's `ready()` and the apps ask core for it. Only the demo loaders read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


class DemoPerson(Protocol):
    """One person who can sign in to the demo (the pack's own type has more fields)."""

    @property
    def iin(self) -> str: ...

    @property
    def agency(self) -> str: ...  # the agency code an officer works for; "" for a citizen


@dataclass(frozen=True)
class DemoCast:
    citizen_a_iin: str
    citizen_b_iin: str
    logins: Callable[[], Sequence[DemoPerson]]  # everyone who can sign in, officers included


_cast: DemoCast | None = None


def demo_cast_register(cast: DemoCast) -> None:
    """Install the country pack's demo people (one pack per deployment: the last wins)."""
    global _cast
    _cast = cast


def demo_cast() -> DemoCast:
    """The registered demo people; a demo loader cannot run without a country pack."""
    if _cast is None:
        raise RuntimeError("No country pack has registered its demo people.")
    return _cast
