"""Money as a person reads it: see `qyzmet.core.money` (shared with documents the domain apps
print, such as payment receipts)."""

from qyzmet.core.money import MINOR_UNITS, SIGNS, money_display

__all__ = ["MINOR_UNITS", "SIGNS", "money_display"]
