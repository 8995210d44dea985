"""Reference data the catalog checks packages against: the country pack's agencies and life
events. Both are small YAML files; the loaders take a path (so tests and other country packs pass
their own) and cache by path, and thin wrappers read the path from settings."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings

from .package import Text

_KZ_DIR = Path(__file__).resolve().parent.parent / "countries" / "kz"
DEFAULT_AGENCIES_FILE = _KZ_DIR / "agencies.yaml"
DEFAULT_LIFE_EVENTS_FILE = _KZ_DIR / "life_events.yaml"
DEFAULT_SEARCH_SYNONYMS_FILE = _KZ_DIR / "search_synonyms.yaml"


@dataclass(frozen=True)
class Agency:
    code: str
    bin: str
    name: Text


@dataclass(frozen=True)
class LifeEvent:
    code: str
    title: Text
    description: Text


def agencies_file() -> Path:
    return Path(getattr(settings, "QYZMET_AGENCIES_FILE", DEFAULT_AGENCIES_FILE))


def life_events_file() -> Path:
    return Path(getattr(settings, "QYZMET_LIFE_EVENTS_FILE", DEFAULT_LIFE_EVENTS_FILE))


@lru_cache(maxsize=8)
def agencies_load(path: Path) -> tuple[Agency, ...]:
    """Every agency of the file, in file order (no settings involved)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return tuple(
        Agency(code=str(a["code"]), bin=str(a.get("bin", "")), name=Text.from_dict(a["name"]))
        for a in data.get("agencies", [])
    )


@lru_cache(maxsize=8)
def life_events_load(path: Path) -> tuple[LifeEvent, ...]:
    """Every life event of the file, in file order (no settings involved)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return tuple(
        LifeEvent(
            code=str(e["code"]),
            title=Text.from_dict(e["title"]),
            description=Text.from_dict(e["description"]),
        )
        for e in data.get("life_events", [])
    )


def agency_codes() -> frozenset[str]:
    return frozenset(a.code for a in agencies_load(agencies_file()))


def life_event_codes() -> frozenset[str]:
    return frozenset(e.code for e in life_events_load(life_events_file()))


def search_synonyms_file() -> Path:
    return Path(getattr(settings, "QYZMET_SEARCH_SYNONYMS_FILE", DEFAULT_SEARCH_SYNONYMS_FILE))


@lru_cache(maxsize=8)
def search_synonyms_load(path: Path) -> tuple[tuple[str, ...], ...]:
    """The synonym groups of the country pack (none when the file is absent)."""
    if not Path(path).is_file():
        return ()
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return tuple(tuple(str(p) for p in group) for group in data.get("synonyms", []))
