"""The registries' facts: their shape, and a fixed number of queries whatever the family size."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qyzmet.registries.legal_entities import selectors as le
from qyzmet.registries.legal_entities.models import Entity
from qyzmet.registries.population import selectors as pop

from .factories import AddressFactory, EntityFactory, FounderFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    home = AddressFactory(street="ул. Абая", building="10", apartment="5")
    grandma = PersonFactory(sex="F", birth_date=dt.date(1960, 2, 2), last_name="Сейітова")
    mother = PersonFactory(sex="F", birth_date=dt.date(1990, 1, 1), address=home, mother=grandma)
    father = PersonFactory(sex="M", birth_date=dt.date(1988, 3, 3), address=home, spouse=mother)
    mother.spouse = father
    mother.save(update_fields=["spouse"])
    kids = [
        PersonFactory(sex=sex, birth_date=born, address=home, mother=mother, father=father)
        for sex, born in (("F", dt.date(2020, 6, 1)), ("M", dt.date(2016, 9, 9)),
                          ("M", dt.date(2024, 12, 31)))
    ]  # fmt: skip
    return {"mother": mother, "father": father, "grandma": grandma, "kids": kids, "home": home}


def test_person_shape(family, django_assert_num_queries):
    mother = family["mother"]
    with django_assert_num_queries(1):
        fact = pop.person_fact(iin=mother.iin)
    assert fact == {
        "iin": mother.iin,
        "full_name": "Ахметова Жанар Серікқызы",
        "last_name": "Ахметова",
        "first_name": "Жанар",
        "patronymic": "Серікқызы",
        "birth_date": "1990-01-01",
        "sex": "F",
        "citizenship": "KAZ",
        "death_date": None,
        "address": {
            "full": "г. Алматы, ул. Абая, д. 10, кв. 5",
            "region": "Алматы",
            "city": "Алматы",
            "street": "ул. Абая",
            "building": "10",
            "apartment": "5",
            "registered_since": "2020-01-15",
        },
    }
    json.dumps(fact)  # plain data, ready for the wire
    assert pop.person_fact(iin="000000000000") is None


def test_children_oldest_first(family, django_assert_num_queries):
    with django_assert_num_queries(2):
        fact = pop.children_fact(iin=family["father"].iin)
    assert [c["birth_date"] for c in fact["children"]] == ["2016-09-09", "2020-06-01", "2024-12-31"]
    assert set(fact["children"][0]) == {"iin", "full_name", "birth_date", "sex"}
    assert pop.children_fact(iin=family["mother"].iin) == fact
    assert pop.children_fact(iin=family["kids"][0].iin) == {"children": []}


def test_family(family, django_assert_num_queries):
    mother = family["mother"]
    with django_assert_num_queries(2):
        fact = pop.family_fact(iin=mother.iin)
    assert fact["spouse"]["iin"] == family["father"].iin
    assert fact["mother"] == {
        "iin": family["grandma"].iin,
        "full_name": "Сейітова Жанар Серікқызы",
        "birth_date": "1960-02-02",
        "sex": "F",
    }
    assert fact["father"] is None
    assert len(fact["children"]) == 3
    json.dumps(fact)


def test_address(family, django_assert_num_queries):
    with django_assert_num_queries(1):
        fact = pop.address_fact(iin=family["kids"][0].iin)
    assert fact["full"] == "г. Алматы, ул. Абая, д. 10, кв. 5"
    homeless = PersonFactory(address=None)
    assert pop.address_fact(iin=homeless.iin)["full"] == ""


def test_entity_with_founders(django_assert_num_queries):
    entity = EntityFactory()
    FounderFactory(entity=entity, iin=entity.head_iin, share=60)
    FounderFactory(entity=entity, share=40)
    with django_assert_num_queries(2):
        fact = le.entity_fact(bin=entity.bin)
    assert fact["bin"] == entity.bin and fact["kind"] == "LLP" and fact["status"] == "active"
    assert fact["registered_on"] == "2015-04-01"
    assert [f["share"] for f in fact["founders"]] == ["60.00", "40.00"]
    assert fact["founders"][0]["iin"] == entity.head_iin
    json.dumps(fact)


def test_entities_of_person(django_assert_num_queries):
    person = PersonFactory()
    headed = EntityFactory(head_iin=person.iin)
    FounderFactory(entity=headed, iin=person.iin)
    founded = FounderFactory(iin=person.iin).entity
    EntityFactory()  # someone else's
    with django_assert_num_queries(2):
        fact = le.entities_of_person_fact(iin=person.iin)
    rows = {(r["bin"], r["role"]) for r in fact["entities"]}
    assert rows == {(headed.bin, "head"), (headed.bin, "founder"), (founded.bin, "founder")}
    assert le.entities_of_person_fact(iin=PersonFactory().iin) == {"entities": []}


def test_ie_status(django_assert_num_queries):
    person = PersonFactory()
    assert le.ie_status_fact(iin=person.iin)["registered"] is False
    EntityFactory(bin=person.iin, head_iin=person.iin, kind=Entity.Kind.IE, name="ИП Ахметов Е.")
    with django_assert_num_queries(1):
        fact = le.ie_status_fact(iin=person.iin)
    assert fact == {
        "registered": True,
        "bin": person.iin,
        "name": "ИП Ахметов Е.",
        "registered_on": "2015-04-01",
        "status": "active",
    }
    Entity.objects.filter(bin=person.iin).update(status=Entity.Status.LIQUIDATED)
    assert le.ie_status_fact(iin=person.iin)["registered"] is False
