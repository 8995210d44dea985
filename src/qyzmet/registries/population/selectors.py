"""Facts the population registry answers. Each returns plain JSON-serialisable dicts (dates as
ISO strings) or None when the person is unknown; callers outside `qyzmet.registries` reach
these only through `qyzmet.exchange.registry_client`, which checks the subject and audits the read.

Every fact costs a fixed number of queries whatever the family size (see the query-count tests).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from django.db.models import Q

from qyzmet.core.compiled import CompiledRead

from .models import Person, full_name_join

_ADDRESS_FIELDS = ("full", "region", "city", "street", "building", "apartment", "registered_since")
# The person with their registered address: the gateway's hottest read (one per exchange).
_PERSON_WITH_ADDRESS = CompiledRead(
    lambda iin: Person.objects.filter(iin=iin).values(
        "iin", "last_name", "first_name", "patronymic", "birth_date", "sex", "citizenship",
        "death_date", "address_id", *(f"address__{name}" for name in _ADDRESS_FIELDS),
    ),
    "iin",
)  # fmt: skip


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@overload
def _summary(person: Person) -> dict[str, Any]: ...
@overload
def _summary(person: None) -> None: ...
@overload
def _summary(person: Person | None) -> dict[str, Any] | None: ...
def _summary(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "iin": person.iin,
        "full_name": person.full_name,
        "birth_date": _iso(person.birth_date),
        "sex": person.sex,
    }


def _children_of(person: Person) -> list[dict[str, Any]]:
    children = Person.objects.filter(Q(mother_id=person.pk) | Q(father_id=person.pk)).order_by(
        "birth_date", "iin"
    )
    return [_summary(child) for child in children]


def _person_row(iin: str) -> dict[str, Any] | None:
    rows = _PERSON_WITH_ADDRESS.rows(iin=iin)
    return rows[0] if rows else None


def _address_of(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["address_id"] is None:
        return None
    address = {name: row[f"address__{name}"] for name in _ADDRESS_FIELDS}
    address["registered_since"] = _iso(address["registered_since"])
    return address


def person_fact(*, iin: str) -> dict[str, Any] | None:
    """Who the person is and where they are registered. One query."""
    row = _person_row(iin)
    if row is None:
        return None
    return {
        "iin": row["iin"],
        "full_name": full_name_join(row["last_name"], row["first_name"], row["patronymic"]),
        "last_name": row["last_name"],
        "first_name": row["first_name"],
        "patronymic": row["patronymic"],
        "birth_date": _iso(row["birth_date"]),
        "sex": row["sex"],
        "citizenship": row["citizenship"],
        "death_date": _iso(row["death_date"]),
        "address": _address_of(row),
    }


def children_fact(*, iin: str) -> dict[str, Any] | None:
    """The person's children (as mother or father), oldest first. Two queries."""
    person = Person.objects.filter(iin=iin).only("pk").first()
    if person is None:
        return None
    return {"children": _children_of(person)}


def family_fact(*, iin: str) -> dict[str, Any] | None:
    """Spouse, parents and children, each as a short summary or null. Two queries."""
    person = Person.objects.select_related("spouse", "mother", "father").filter(iin=iin).first()
    if person is None:
        return None
    return {
        "spouse": _summary(person.spouse),
        "mother": _summary(person.mother),
        "father": _summary(person.father),
        "children": _children_of(person),
    }


def address_fact(*, iin: str) -> dict[str, Any] | None:
    """The registered address alone (null values when the person has none). One query."""
    row = _person_row(iin)
    if row is None:
        return None
    return _address_of(row) or {name: "" for name in _ADDRESS_FIELDS} | {"registered_since": None}
