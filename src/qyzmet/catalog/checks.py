"""System checks on the catalogue's country data (`qyzmet check`, and every command and server
start that runs Django's checks).

- qyzmet.W002  next year's monthly calculation index is missing, from 1 November
- qyzmet.E008  this year's monthly calculation index is missing

Fees written in MCI (a passport costs 4 MCI) are quoted from `countries/kz/mci.yaml` (or
`QYZMET_MCI_FILE`), one value per year from that year's republican budget law. A fee is never
guessed from another year's index, so on 1 January every MCI fee would stop being quotable:
the start page would say the fee cannot be shown and submissions would be refused (503). The
warning gives the two months in which the budget law is adopted to add the value; the error
says the platform is already in that state. Both name the file to edit.
"""

from __future__ import annotations

import datetime as dt

from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .reference import MciTable, mci_table

# From this month on, next year's index is expected: budget laws are adopted in the autumn.
WARN_FROM_MONTH = 11


def mci_year_problems(*, table: MciTable, today: dt.date) -> list[CheckMessage]:
    """What is wrong with `table` on `today`: this year's index missing (error) or, from
    1 November, next year's (warning). Empty when both are there or it is not yet November."""
    problems: list[CheckMessage] = []
    hint = (
        f"Add the year's value (in tenge, from its republican budget law) under `values:` in "
        f"{table.path}."
    )
    if today.year not in table.values:
        problems.append(
            Error(
                f"{table.path}: no monthly calculation index for {today.year}, this year: "
                "no fee in MCI can be quoted (the start pages say so and submissions of "
                "fee-bearing services are refused).",
                hint=hint,
                id="qyzmet.E008",
            )
        )
    if today.month >= WARN_FROM_MONTH and today.year + 1 not in table.values:
        problems.append(
            Warning(
                f"{table.path}: no monthly calculation index for {today.year + 1}; from "
                f"1 January {today.year + 1} no fee in MCI can be quoted.",
                hint=hint,
                id="qyzmet.W002",
            )
        )
    return problems


@register(Tags.compatibility)
def mci_years_check(app_configs=None, **kwargs) -> list[CheckMessage]:
    """The configured index table against today's date (the platform's time zone)."""
    try:
        table = mci_table()
    except ImproperlyConfigured as exc:  # an unreadable table: the message names the entry
        return [Error(str(exc), id="qyzmet.E008")]
    return mci_year_problems(table=table, today=timezone.localdate())
