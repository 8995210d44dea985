"""How a dataset generated from the platform's records is described. A `Publisher` names the
dataset (its CKAN `name`), who publishes it, its titles in kk/ru/en, its Frictionless Table
Schema and a function producing its rows. It lives in core so that every app registers its own
datasets from its AppConfig.ready; `qyzmet.opendata.services` runs every registered publisher and
stores a new version when the rows changed.

Anything about people must be aggregated before it gets here: `rows()` returns counts and
measures per group, never a person's identifier or free text, and groups smaller than
`K_ANONYMITY` are suppressed by the publisher itself (see `suppress_small`).

The rule that `qyzmet.opendata.privacy` enforces on publish and tests/opendata/test_privacy.py
checks over every published file: a *count-like* field — one marked `"personal": "count"` in the
schema, or an `integer` field whose name starts with `n_` or ends with `count`/`_count`, unless
marked `"personal": "none"` (it counts no people: a fee, a deadline) — never holds 1 to
`K_ANONYMITY - 1`; no cell holds a valid IIN; no person's name appears anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

K_ANONYMITY = 5  # no published cell counts fewer than this many people or records about people

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Publisher:
    name: str  # the dataset's permanent name (CKAN `name`, URL slug): lowercase, digits, '-'
    organisation: str  # the publishing organisation's code ("" = the platform's operator)
    title: Mapping[str, str]  # {"kk": …, "ru": …, "en": …}
    description: Mapping[str, str]
    schema: Mapping[str, Any]  # a Frictionless Table Schema: {"fields": [...], "primaryKey": ...}
    rows: Callable[[], Iterable[Row]]
    tags: tuple[str, ...] = ()
    frequency: str = "daily"  # how often it is refreshed (DCAT accrualPeriodicity, EU vocabulary)
    theme: str = "GOVE"  # EU data theme (GOVE government and public sector, ECON economy …)
    extra: Mapping[str, Any] = field(default_factory=dict)


_PUBLISHERS: dict[str, Publisher] = {}


def register(publisher: Publisher) -> Publisher:
    """Register (or replace, on re-import) a generated dataset. Names are unique."""
    _PUBLISHERS[publisher.name] = publisher
    return publisher


def publishers() -> list[Publisher]:
    return [_PUBLISHERS[name] for name in sorted(_PUBLISHERS)]


def suppress_small(count: int) -> int | None:
    """A count below K_ANONYMITY (but above zero) is published as empty (null)."""
    return None if 0 < count < K_ANONYMITY else count
