"""Money as a person reads it.

Service packages keep a fee as an integer in the currency's minor unit (tiyn for KZT: 1 tenge =
100 tiyn), so money is never a float and a fee of 1.25 monthly calculation indices is exact. A
page must not print that integer: 1730000 reads as a hundred times the price. This turns it into
major units with the reader's separators and the currency's sign ("17 300 ₸", "5 406,25 ₸";
"17,300 ₸" in English).

It lives in the shared kernel because documents printed by domain apps (a payment receipt) show
money exactly as the pages do; `qyzmet.ui.money` re-exports it for the pages.
"""

from __future__ import annotations

# ISO 4217 minor units and signs of the currencies the packs use; others show their code.
MINOR_UNITS = {"KZT": 2}
SIGNS = {"KZT": "₸"}
_NBSP = "\u00a0"


def money_display(*, amount: int, currency: str, lang: str) -> str:
    """`amount` minor units of `currency` as text in `lang`: thousands grouped (a no-break space
    in kk/ru, a comma in en), the fraction only when there is one, the sign after the number."""
    digits = MINOR_UNITS.get(currency, 2)
    major, minor = divmod(int(amount), 10**digits)
    group, point = (",", ".") if lang == "en" else (_NBSP, ",")
    text = f"{major:,}".replace(",", group)
    if minor:
        text += f"{point}{minor:0{digits}d}"
    return f"{text}{_NBSP}{SIGNS.get(currency, currency)}"
