"""Budget numbers and words for people: amounts in million tenge, shares in per cent, written
the way each language writes numbers (a space between thousands; a comma before the decimal in
Kazakh and Russian), and the names of programmes in the reader's language."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

PHASE_LABELS = {"planned": _("Planned"), "adjusted": _("Adjusted"), "executed": _("Executed")}
TIYN_PER_MILLION = 100 * 1_000_000


def lang() -> str:
    code = (get_language() or "kk")[:2]
    return code if code in ("kk", "ru", "en") else "kk"


def _grouped(value: Decimal, places: int) -> str:
    text = f"{value:,.{places}f}"  # Decimal formatting: exact, never through float
    if lang() == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def millions(tiyn: int | None) -> str:
    """An amount in million tenge with one decimal (— when not reported)."""
    if tiyn is None:
        return "—"
    value = (Decimal(tiyn) / TIYN_PER_MILLION).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _grouped(value, 1)


def percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return _grouped(value, 1) + "\u00a0%"


def name(names: dict[str, str]) -> str:
    """A programme's name in the reader's language (Russian when there is no English one)."""
    return names.get(lang()) or names.get("ru") or names.get("kk") or ""
