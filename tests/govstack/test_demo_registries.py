"""The demo data for the new registries: deterministic over the same population and seed."""

from __future__ import annotations

import datetime as dt

import pytest

from qyzmet.countries.kz.demo import population_generate
from qyzmet.countries.kz.demo_registries import registries_extra_generate
from qyzmet.registries.criminal_records.models import CriminalRecord
from qyzmet.registries.real_estate.models import Ownership, Property
from qyzmet.registries.vehicles.models import Vehicle

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


def _dump():
    return (
        list(Vehicle.objects.order_by("vin").values_list("vin", "plate", "owner_iin", "year")),
        list(Ownership.objects.order_by("property__cadastral_number", "owner_iin")
             .values_list("property__cadastral_number", "owner_iin", "share")),
        list(CriminalRecord.objects.order_by("record_number")
             .values_list("record_number", "iin", "expunged_on")),
    )  # fmt: skip


def _clear():
    Ownership.objects.all().delete()
    Property.objects.all().delete()
    Vehicle.objects.all().delete()
    CriminalRecord.objects.all().delete()


def test_same_seed_same_rows_and_plausible_counts():
    population_generate(count=400, seed=7, today=TODAY)
    first = registries_extra_generate(seed=3, today=TODAY)
    rows = _dump()
    assert first.vehicles > 50 and first.properties > 50 and first.criminal_records >= 1
    with pytest.raises(ValueError):
        registries_extra_generate(seed=3, today=TODAY)
    _clear()
    registries_extra_generate(seed=3, today=TODAY)
    assert _dump() == rows
    _clear()
    registries_extra_generate(seed=4, today=TODAY)
    assert _dump() != rows
