"""The index table's years as a system check (`qyzmet check`): from 1 November a warning that
next year's monthly calculation index is missing, an error once this year's is, each naming the
file to edit (qyzmet.W002, qyzmet.E008)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.checks import ERROR, WARNING, run_checks

from qyzmet.catalog.checks import mci_year_problems
from qyzmet.catalog.reference import mci_load


def _table(tmp_path: Path, years: dict[int, int]) -> Path:
    path = tmp_path / "mci.yaml"
    body = "".join(f"  {year}: {value}\n" for year, value in years.items())
    path.write_text(f"currency: KZT\nvalues:\n{body}", encoding="utf-8")
    return path


@pytest.fixture
def table_2024_2026(tmp_path):
    return mci_load(_table(tmp_path, {2024: 3692, 2025: 3932, 2026: 4325}))


def _ids(problems) -> list[tuple[str, int]]:
    return [(p.id, p.level) for p in problems]


def test_nothing_to_say_before_november(table_2024_2026):
    assert mci_year_problems(table=table_2024_2026, today=dt.date(2026, 10, 31)) == []


def test_from_1_november_next_years_missing_index_is_a_warning_naming_the_file(table_2024_2026):
    problems = mci_year_problems(table=table_2024_2026, today=dt.date(2026, 11, 1))
    assert _ids(problems) == [("qyzmet.W002", WARNING)]
    assert "2027" in problems[0].msg and str(table_2024_2026.path) in problems[0].msg
    assert str(table_2024_2026.path) in problems[0].hint


def test_on_1_january_without_the_years_index_it_is_an_error(table_2024_2026):
    problems = mci_year_problems(table=table_2024_2026, today=dt.date(2027, 1, 1))
    assert _ids(problems) == [("qyzmet.E008", ERROR)]
    assert "2027" in problems[0].msg and str(table_2024_2026.path) in problems[0].msg


def test_a_december_without_this_year_or_the_next_says_both(table_2024_2026):
    problems = mci_year_problems(table=table_2024_2026, today=dt.date(2027, 12, 1))
    assert _ids(problems) == [("qyzmet.E008", ERROR), ("qyzmet.W002", WARNING)]


def test_with_next_years_index_added_december_is_quiet(tmp_path):
    table = mci_load(_table(tmp_path, {2026: 4325, 2027: 4500}))
    assert mci_year_problems(table=table, today=dt.date(2026, 12, 31)) == []


def test_the_check_is_registered_and_reads_the_configured_table(tmp_path, settings):
    settings.QYZMET_MCI_FILE = _table(tmp_path, {2020: 2778})
    found = [m for m in run_checks() if m.id in ("qyzmet.E008", "qyzmet.W002")]
    assert [m.id for m in found][:1] == ["qyzmet.E008"]
    assert str(settings.QYZMET_MCI_FILE) in found[0].msg


def test_an_unreadable_table_is_an_error_naming_it(tmp_path, settings):
    path = tmp_path / "broken.yaml"
    path.write_text("values: [1, 2]\n", encoding="utf-8")
    settings.QYZMET_MCI_FILE = path
    found = [m for m in run_checks() if m.id == "qyzmet.E008"]
    assert len(found) == 1 and str(path) in found[0].msg
