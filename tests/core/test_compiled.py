"""Compiled hot-path reads and inserts give what the ORM gives, on either database, and cost one
statement whatever they are asked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qyzmet.audit.models import AuditEntry
from qyzmet.core.compiled import CompiledInsert, CompiledRead
from qyzmet.registries.population.models import Address, Person

pytestmark = pytest.mark.django_db


def _person(iin: str, *, address: Address | None = None, **extra) -> Person:
    return Person.objects.create(
        iin=iin, last_name="Сейтқали", first_name="Әлия", birth_date=dt.date(1990, 5, 17),
        sex="F", address=address, **extra,
    )  # fmt: skip


def _by_iin() -> CompiledRead:
    return CompiledRead(
        lambda iin: Person.objects.filter(iin=iin).values(
            "iin", "first_name", "birth_date", "death_date", "address__full",
            "address__registered_since",
        ),
        "iin",
    )  # fmt: skip


def test_compiled_read_matches_the_orm_for_each_value():
    home = Address.objects.create(region="Алматы", city="Алматы", street="Абая",
                                  building="1", full="г. Алматы, Абая 1",
                                  registered_since=dt.date(2020, 1, 2))  # fmt: skip
    _person("900517400001", address=home)
    _person("900517400002", death_date=dt.date(2024, 3, 1))
    read = _by_iin()
    for iin in ("900517400001", "900517400002", "000000000000"):
        orm = list(Person.objects.filter(iin=iin).values(
            "iin", "first_name", "birth_date", "death_date", "address__full",
            "address__registered_since"))  # fmt: skip
        assert read.rows(iin=iin) == orm
    first = read.rows(iin="900517400001")[0]
    # Dates come back as dates on SQLite too (the ORM's converters run), not as text.
    assert first["birth_date"] == dt.date(1990, 5, 17)
    assert first["address__registered_since"] == dt.date(2020, 1, 2)
    assert read.rows(iin="900517400002")[0]["address__full"] is None


def test_compiled_read_is_one_statement_and_keeps_constant_parameters():
    _person("900517400003", citizenship="KAZ")
    _person("900517400004", citizenship="RUS")
    read = CompiledRead(
        lambda iin: Person.objects.filter(iin=iin, citizenship="KAZ").values("iin"), "iin"
    )
    read.rows(iin="900517400003")  # compiled here
    with CaptureQueriesContext(connection) as queries:
        assert read.rows(iin="900517400003") == [{"iin": "900517400003"}]
        assert read.rows(iin="900517400004") == []  # the constant filter still applies
    assert len(queries) == 2


def test_compiled_insert_fills_defaults_and_time_and_prepares_json():
    before = timezone.now()
    CompiledInsert(AuditEntry).insert(
        kind="read", action="read:x", subject_iin="900517400001", purpose="тест",
        data={"fields": ["iin", "адрес"]},
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="read:x")
    assert entry.data == {"fields": ["iin", "адрес"]}
    assert entry.actor_id is None and entry.object_type == "" and entry.actor_label == ""
    assert before <= entry.at <= timezone.now()
    assert entry.purpose == "тест"
