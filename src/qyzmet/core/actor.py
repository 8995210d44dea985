"""Who performs a command: the type of every service's `actor=` (and of the `user=` a
permission check is about).

A structural type, not identity's `User` model, because core and every domain app sit below
identity's models in the layers: a command only relies on what every acting party has — a
signed-in person (`identity.User`), Django's `AnonymousUser` for an unauthenticated request, an
API client's service account. Services that need more (an IIN, a phone) read it with `getattr`
or ask identity's selectors; `None` means the platform itself (a sweep, an import)."""

from __future__ import annotations

from typing import Any, Protocol


class Actor(Protocol):
    """What every acting party has. Read-only members, so `AnonymousUser`'s properties and a
    model's fields both satisfy it."""

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_staff(self) -> bool: ...


def actor_row(actor: Actor | None) -> Any:
    """The actor as a foreign-key value: the person when it is one (it has a primary key), else
    None (an anonymous request, the platform). Typed `Any` because the user model is identity's,
    above core; the database's constraint is the check."""
    return actor if getattr(actor, "pk", None) else None
