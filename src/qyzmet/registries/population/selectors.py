"""Facts the population registry answers. Each returns plain JSON-serialisable dicts (dates as
ISO strings) or None when the person is unknown; callers outside `qyzmet.registries` reach
these only through `qyzmet.registries.client`, which checks the subject and audits the read.

Every fact costs a fixed number of queries whatever the family size (see the query-count tests).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from .models import Address, Person


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _address_dict(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "full": address.full,
        "region": address.region,
        "city": address.city,
        "street": address.street,
        "building": address.building,
        "apartment": address.apartment,
        "registered_since": _iso(address.registered_since),
    }


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


def person_fact(*, iin: str) -> dict[str, Any] | None:
    """Who the person is and where they are registered. One query."""
    person = Person.objects.select_related("address").filter(iin=iin).first()
    if person is None:
        return None
    return {
        "iin": person.iin,
        "full_name": person.full_name,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "patronymic": person.patronymic,
        "birth_date": _iso(person.birth_date),
        "sex": person.sex,
        "citizenship": person.citizenship,
        "death_date": _iso(person.death_date),
        "address": _address_dict(person.address),
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
    person = Person.objects.select_related("address").filter(iin=iin).first()
    if person is None:
        return None
    return _address_dict(person.address) or {
        "full": "",
        "region": "",
        "city": "",
        "street": "",
        "building": "",
        "apartment": "",
        "registered_since": None,
    }
