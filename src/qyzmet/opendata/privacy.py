"""What may never be in an open dataset, checked before anything is stored (and again, over the
published files, by tests/opendata/test_privacy.py).

* **Small counts** (platform datasets): a *count-like* field (see `count_like`) holds 0 or at
  least `K_ANONYMITY`; 1 to 4 is refused — the publisher must suppress it (`suppress_small`).
* **Personal identifiers** (every dataset): no cell holds a 12-digit number that passes the
  country's IIN check (the validator named in `QYZMET_ID_FORMATS["iin"]`). A BIN never passes
  it: its 5th and 6th digits are never a day of a month.
* **Personal columns** (agency uploads): no column is named like a person's identifier, name or
  contact (`personal_column`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from qyzmet.core.open_datasets import K_ANONYMITY

_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
# Words that make a column personal wherever they stand in its name (iin, phone_number, email).
_PERSONAL_WORDS = {
    "iin", "иин", "жсн", "fio", "фио", "phone", "telephone", "mobile", "телефон", "email",
    "e-mail", "surname", "фамилия", "тегі", "patronymic", "отчество", "birthdate",
    "birthday", "passport", "паспорт",
}
# Whole column names that are a person's name (a `service_name` or `district_name` is not).
_PERSONAL_NAMES = {
    "name", "full_name", "fullname", "first_name", "firstname", "last_name", "lastname",
    "middle_name", "person_name", "person", "citizen", "applicant", "имя", "аты", "аты_жөні",
    "толық_аты", "фамилия_имя", "фио_заявителя", "заявитель",
}


def count_like(field: Mapping[str, Any]) -> bool:
    """A field counting people or records about people: marked `"personal": "count"`, or an
    integer named `n_…`, `…_count` or `…count`, unless marked `"personal": "none"`."""
    marked = field.get("personal")
    if marked == "count":
        return True
    if marked == "none" or field.get("type") != "integer":
        return False
    name = str(field.get("name", "")).lower()
    return name.startswith("n_") or name.endswith("count")


@cache
def _iin_validator():
    return import_string(settings.QYZMET_ID_FORMATS["iin"])


def is_iin(value: str) -> bool:
    try:
        _iin_validator()(value)
    except (ValueError, TypeError):
        return False
    return True


def iins_in(value: Any) -> list[str]:
    """The 12-digit runs in `value` that are valid IINs."""
    if value is None or isinstance(value, bool):
        return []
    return [m for m in _TWELVE_DIGITS.findall(str(value)) if is_iin(m)]


def personal_column(name: str) -> bool:
    folded = name.strip().lower().replace(" ", "_")
    words = {w for w in re.split(r"[_\W]+", folded) if w}
    return folded in _PERSONAL_NAMES or bool(words & _PERSONAL_WORDS)


def small_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < K_ANONYMITY


def violations(
    schema: Mapping[str, Any], rows: Iterable[Mapping[str, Any]], *, counts: bool
) -> list[tuple[int, str, str]]:
    """(row number as in the CSV file — the header is row 1 —, field name, kind) for every cell
    that breaks a rule above; kind is "small_count" or "iin". `counts=False` skips the
    small-count rule (agencies' own data counts things, not people)."""
    fields = list(schema.get("fields", []))
    counted = {f["name"] for f in fields if counts and count_like(f)}
    found: list[tuple[int, str, str]] = []
    for number, row in enumerate(rows, start=2):
        for name, value in row.items():
            if name in counted and small_count(value):
                found.append((number, name, "small_count"))
            elif iins_in(value):
                found.append((number, name, "iin"))
    return found
