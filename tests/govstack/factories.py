"""Factories for the vehicle, real estate and criminal records registries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from qyzmet.registries.criminal_records.models import CriminalRecord
from qyzmet.registries.real_estate.models import Ownership, Property
from qyzmet.registries.vehicles.models import Vehicle
from tests.registries.factories import PersonFactory


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    vin = factory.Sequence(lambda n: f"XW8ZZZ61Z{n:08d}")
    plate = factory.Sequence(lambda n: f"{n % 1000:03d}ABC{n // 1000 % 100:02d}")
    make = "Toyota"
    model = "Camry"
    year = 2019
    colour = "белый"
    category = "B"
    owner_iin = factory.LazyFunction(lambda: PersonFactory().iin)
    registered_on = dt.date(2019, 6, 1)


class PropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Property

    cadastral_number = factory.Sequence(lambda n: f"20-311-004-{n:03d}")
    kind = Property.Kind.APARTMENT
    address = "г. Астана, ул. Кенесары, д. 40, кв. 12"
    area = Decimal("64.50")
    registered_on = dt.date(2018, 3, 1)


class OwnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ownership

    property = factory.SubFactory(PropertyFactory)
    owner_iin = factory.LazyFunction(lambda: PersonFactory().iin)
    share = Decimal("100.00")
    since = dt.date(2018, 3, 1)


class CriminalRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriminalRecord

    record_number = factory.Sequence(lambda n: f"KUI-2015-{n:06d}")
    iin = factory.LazyFunction(lambda: PersonFactory().iin)
    article = "188 ч.1"
    article_title = "Кража"
    verdict_date = dt.date(2015, 2, 10)
    court = "Алмалинский районный суд г. Алматы"
    sentence = "штраф"
    expunged_on = None
