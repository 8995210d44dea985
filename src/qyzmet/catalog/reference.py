"""Reference data the catalog checks packages against: the country pack's agencies and life
events. Both are small YAML files; the loaders take a path (so tests and other country packs pass
their own) and cache by path, and thin wrappers read the path from settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .package import Text

_KZ_DIR = Path(__file__).resolve().parent.parent / "countries" / "kz"
DEFAULT_AGENCIES_FILE = _KZ_DIR / "agencies.yaml"
DEFAULT_LIFE_EVENTS_FILE = _KZ_DIR / "life_events.yaml"
DEFAULT_SEARCH_SYNONYMS_FILE = _KZ_DIR / "search_synonyms.yaml"
DEFAULT_MCI_FILE = _KZ_DIR / "mci.yaml"


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


# --- the monthly calculation index (MCI, МРП/АЕК) -----------------------------------------------


class MciYearMissing(ImproperlyConfigured):
    """The country pack has no index for a year a fee is asked for (e.g. on 1 January, before
    the year's value was added): a fee in MCI cannot be quoted, never guessed. Pages and the
    API catch it to say so (the start page: the fee cannot be shown yet; a submission: 503)
    instead of failing; `catalog.checks` warns from 1 November that next year's is missing."""

    def __init__(self, *, path: Path, year: int, known: tuple[int, ...]) -> None:
        self.path = path
        self.year = year
        self.known = known
        listed = ", ".join(str(y) for y in known) or "none"
        super().__init__(
            f"{path}: no monthly calculation index for {year} (years known: {listed}); "
            "add the year's value from its republican budget law"
        )


@dataclass(frozen=True)
class MciTable:
    """The index's value per calendar year in major units of `currency` (tenge), exact
    (Decimal, at most 2 decimals): fees written as a multiple of the index are computed from it."""

    path: Path
    currency: str
    values: dict[int, Decimal]

    def value(self, year: int) -> Decimal:
        """The index of `year`; a year the country pack does not have is a configuration error
        (a fee must never be guessed from another year's index)."""
        try:
            return self.values[year]
        except KeyError:
            raise MciYearMissing(
                path=self.path, year=year, known=tuple(sorted(self.values))
            ) from None


def mci_file() -> Path:
    return Path(getattr(settings, "QYZMET_MCI_FILE", DEFAULT_MCI_FILE))


@lru_cache(maxsize=8)
def mci_load(path: Path) -> MciTable:
    """Read and check the country pack's index table; a malformed file is a configuration
    error that names the file and the entry."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ImproperlyConfigured(f"{path}: cannot read the index table: {exc}") from exc
    raw = data.get("values") if isinstance(data, dict) else None
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"{path}:/values: a mapping of year to value is required")
    values: dict[int, Decimal] = {}
    for year, value in raw.items():
        where = f"{path}:/values/{year}"
        if not isinstance(year, int) or isinstance(value, bool):
            raise ImproperlyConfigured(f"{where}: the year must be an integer")
        try:
            amount = Decimal(str(value))
        except InvalidOperation as exc:
            raise ImproperlyConfigured(f"{where}: {value!r} is not a number") from exc
        # The exponent is an int for every finite number ('n', 'N', 'F' only for NaN and Inf).
        exponent = amount.as_tuple().exponent
        if not isinstance(exponent, int) or amount <= 0 or exponent < -2:
            raise ImproperlyConfigured(f"{where}: a positive amount with at most 2 decimals")
        values[year] = amount
    return MciTable(path=Path(path), currency=str(data.get("currency", "KZT")), values=values)


def mci_table() -> MciTable:
    """The index table of the configured country pack (`QYZMET_MCI_FILE`)."""
    return mci_load(mci_file())
