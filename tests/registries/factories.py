"""Factories for the registries' own tests (other apps read registries through the client and
load demo people with `qyzmet.countries.kz.demo.population_generate`)."""

from __future__ import annotations

import datetime as dt

import factory

from qyzmet.countries.kz.identifiers import bin_make, iin_make
from qyzmet.registries.legal_entities.models import Entity, Founder
from qyzmet.registries.population.models import Address, Person


def _iin(n: int, birth: dt.date, sex: str) -> str:
    from tests.identity.factories import iin_taken

    serial = 9000 + n * 3
    while (iin := iin_make(birth, sex, serial % 10000)) is None or iin_taken(iin):
        serial += 1
    return iin


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    region = "Алматы"
    city = "Алматы"
    street = "ул. Абая"
    building = factory.Sequence(lambda n: str(n + 1))
    apartment = "5"
    full = factory.LazyAttribute(
        lambda a: f"г. {a.city}, {a.street}, д. {a.building}, кв. {a.apartment}"
    )
    registered_since = dt.date(2020, 1, 15)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    birth_date = dt.date(1990, 5, 17)
    sex = "M"
    iin = factory.LazyAttributeSequence(lambda p, n: _iin(n, p.birth_date, p.sex))
    last_name = factory.LazyAttribute(lambda p: "Ахметов" if p.sex == "M" else "Ахметова")
    first_name = factory.LazyAttribute(lambda p: "Ерлан" if p.sex == "M" else "Жанар")
    patronymic = factory.LazyAttribute(lambda p: "Серікұлы" if p.sex == "M" else "Серікқызы")
    address = factory.SubFactory(AddressFactory)


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    registered_on = dt.date(2015, 4, 1)
    bin = factory.Sequence(lambda n: _bin(n))
    name = "ТОО «Береке Трейд»"
    kind = Entity.Kind.LLP
    head_iin = factory.LazyFunction(lambda: PersonFactory().iin)
    address = "г. Астана, ул. Кенесары, д. 40, оф. 12"
    activity_code = "46900"


def _bin(n: int) -> str:
    serial = 500 + n * 3
    while (bin_ := bin_make(dt.date(2015, 4, 1), 4, 0, serial)) is None:
        serial += 1
    return bin_


class FounderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Founder

    entity = factory.SubFactory(EntityFactory)
    iin = factory.LazyFunction(lambda: PersonFactory().iin)
    share = 100
