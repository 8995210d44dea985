"""Who a notification goes to: the accounts, as identity knows them.

Identity sends its sign-in codes through notifications, so notifications cannot import identity
(no cycle between apps): identity registers these lookups from its app's `ready()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _unset(*_args: Any) -> Any:
    raise RuntimeError("identity has not registered the notification recipients (app not ready?)")


@dataclass
class Recipients:
    user_get: Callable[[int], Any] = _unset  # the account by id (raises the 404 problem)
    user_ids_by_phone: Callable[[str], list[int]] = _unset  # accounts with this phone number


recipients = Recipients()
