"""The index table the tests quote fees from, so that no test starts failing on 1 January.

Fees in MCI are quoted for "today" in many tests (a citizen applies now and pays 4 MCI). The
real table (`countries/kz/mci.yaml`) holds the years whose budget laws are adopted, and quoting
a year it lacks is refused — as it must be. The tests therefore read a copy written at the start
of the session: the real years as they are, and this year and the next at the index the tests'
amounts were written with (2026's, 4 325 ₸), so "4 MCI today" is 17 300 ₸ whichever year the
suite runs in. `tests/catalog/test_fees.py` reads the real file itself, for the real amounts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from qyzmet.catalog.reference import DEFAULT_MCI_FILE

# The year whose index the tests' amounts (17 300 ₸ for a passport, ...) were written with.
TESTS_WRITTEN_IN = 2026


def mci_table_for_tests(directory: Path, *, today: dt.date | None = None) -> Path:
    """Write the tests' table into `directory` and return its path."""
    today = today or dt.date.today()
    real = yaml.safe_load(DEFAULT_MCI_FILE.read_text(encoding="utf-8"))
    values = dict(real["values"])
    for year in (today.year, today.year + 1):
        values[year] = real["values"][TESTS_WRITTEN_IN]
    path = directory / "mci-tests.yaml"
    path.write_text(
        yaml.safe_dump({"currency": real.get("currency", "KZT"), "values": values}),
        encoding="utf-8",
    )
    return path
