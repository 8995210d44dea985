"""A service's fee as the citizen reads it: in tenge (and in MCI when the law sets it so), the
exemptions in words, and — once the registry facts are known — what this citizen pays.

The amounts come from `qyzmet.catalog.fees` (integers in tiyn); this only puts them into words
in the reader's language, for the start page and check-your-answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from qyzmet.catalog.fees import FeeQuote
from qyzmet.catalog.package import ServicePackage
from qyzmet.catalog.reference import MciYearMissing

from .money import money_display


@dataclass(frozen=True)
class FeeView:
    free: bool
    full: str  # "17 300 ₸"
    mci: str  # "4 MCI" (in words of the language), "" for a fixed fee
    exemptions: tuple[str, ...]  # every exemption of the service, in words
    # With a quote (the citizen's facts known):
    exemption: str = ""  # the exemption that applies to this citizen, in words
    pay: str = ""  # what this citizen pays ("0 ₸")
    pays_nothing: bool = False
    reduced: bool = False
    # The year whose monthly calculation index the country pack lacks, when the fee (in MCI)
    # cannot be shown for that reason (`full` is then ""); None when the amount is known.
    unknown_year: int | None = None
    # The same in a sentence of the language, for the start page and check-your-answers.
    unknown_notice: str = ""


def _mci_words(value, lang: str) -> str:
    text = format(value.normalize(), "f")
    if lang != "en":
        text = text.replace(".", ",")
    return _("%(count)s MCI") % {"count": text}


def fee_view(
    *, package: ServicePackage, lang: str, quote: FeeQuote | None = None, on: dt.date | None = None
) -> FeeView:
    """The fee of `package` in words of `lang` (call inside that language). With `quote` (the
    citizen's, from their registry facts) also what they pay and why."""
    fee = package.fee
    unknown_year = None
    try:
        full_amount = (
            quote.amount_before_exemption if quote else fee.amount_on(on or timezone.localdate())
        )
    except MciYearMissing as exc:  # the year's index not added yet: say so, never guess
        full_amount, unknown_year = 0, exc.year
    exemptions = []
    for item in fee.exemptions:
        label = item.label.get(lang)
        if item.pays_percent:
            label = _("%(who)s: %(percent)s%% of the fee") % {
                "who": label,
                "percent": item.pays_percent,
            }
        exemptions.append(label)
    mci = _mci_words(fee.mci, lang) if fee.mci is not None else ""
    if unknown_year is not None:
        return FeeView(
            free=False, full="", mci=mci, exemptions=tuple(exemptions), unknown_year=unknown_year,
            unknown_notice=fee_unknown_notice(mci=mci, year=unknown_year),
        )  # fmt: skip
    view = FeeView(
        free=full_amount == 0,
        full=money_display(amount=full_amount, currency=fee.currency, lang=lang),
        mci=mci,
        exemptions=tuple(exemptions),
    )
    if quote is None or not quote.exemption:
        return view
    label = quote.exemption.get("label") or {}
    return FeeView(
        free=view.free,
        full=view.full,
        mci=view.mci,
        exemptions=view.exemptions,
        exemption=str(label.get(lang) or label.get("en") or ""),
        pay=money_display(amount=quote.amount, currency=quote.currency, lang=lang),
        pays_nothing=quote.amount == 0,
        reduced=0 < quote.amount < quote.amount_before_exemption,
    )


def fee_unknown_notice(*, mci: str, year: int) -> str:
    """Why the fee cannot be shown (call inside the reader's language): it is a number of
    monthly calculation indices, and the index of `year` is not on the platform yet."""
    return _(
        "The fee cannot be shown yet: it is %(mci)s, and the monthly calculation index for "
        "%(year)s has not been added to the platform. Applications can be made once it is."
    ) % {"mci": mci, "year": year}


def fee_unknown_short(*, year: int) -> str:
    """The same in a few words, for a list of services."""
    return _("Fee for %(year)s not known yet") % {"year": year}
