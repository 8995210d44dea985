"""The deterministic demo population: valid IINs, consistent families, determinism, speed."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from qyzmet.countries.kz import demo
from qyzmet.countries.kz.identifiers import bin_validate, iin_birth_date, iin_sex, iin_validate
from qyzmet.registries.legal_entities.models import Entity, Founder
from qyzmet.registries.population.models import Person

TODAY = dt.date(2026, 11, 27)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _gendered(surname: str, sex: str) -> str:
    """The stem of a gendered surname as the father would carry it."""
    return surname[:-1] if sex == "F" else surname


@pytest.mark.django_db
def test_ten_thousand_persons_fast_valid_and_consistent():
    started = time.perf_counter()
    result = demo.population_generate(count=10_000, seed=2026, today=TODAY)
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"generation took {elapsed:.1f}s"
    assert result.persons >= 10_000
    assert Person.objects.count() == result.persons

    people = {p.pk: p for p in Person.objects.select_related("address")}
    for p in people.values():
        assert iin_validate(p.iin) == p.iin
        assert iin_birth_date(p.iin) == p.birth_date, p.iin
        assert iin_sex(p.iin) == p.sex, p.iin

    couples = matching = 0
    with_parents = 0
    for p in people.values():
        if p.spouse_id:
            spouse = people[p.spouse_id]
            assert spouse.spouse_id == p.pk
            assert spouse.sex != p.sex
            if p.sex == "M":
                couples += 1
                matching += spouse.last_name == p.last_name + "а"
        for parent_id in (p.mother_id, p.father_id):
            if parent_id:
                parent = people[parent_id]
                assert 18 <= _age(parent.birth_date, p.birth_date) <= 45, (parent.iin, p.iin)
        if p.mother_id:
            with_parents += 1
            assert people[p.mother_id].sex == "F"
            if _age(p.birth_date, TODAY) < 18:
                assert p.address_id == people[p.mother_id].address_id, p.iin
                if p.father_id:
                    assert p.address_id == people[p.father_id].address_id, p.iin
        if p.father_id:
            father = people[p.father_id]
            assert father.sex == "M"
            if father.last_name.endswith(("ов", "ев", "ин")):
                expected = father.last_name + ("а" if p.sex == "F" else "")
                assert p.patronymic == father.first_name + ("ұлы" if p.sex == "M" else "қызы")
            else:
                expected = father.first_name + ("ұлы" if p.sex == "M" else "қызы")
            # A married woman may have taken her husband's surname instead.
            married_name = people[p.spouse_id].last_name + "а" if p.spouse_id else None
            assert p.last_name in (expected, married_name), (father.last_name, p.last_name)
    assert couples > 1000
    assert matching / couples > 0.5  # most wives take a gendered surname, some keep their own
    assert with_parents > 3000
    assert any(p.last_name.endswith("қызы") for p in people.values())

    cities = {p.address.city for p in people.values() if p.address}
    assert {"Алматы", "Астана", "Шымкент", "Караганда", "Актобе"} <= cities
    assert all(p.address.full.startswith(f"г. {p.address.city}, ") for p in people.values())

    companies = Entity.objects.exclude(kind=Entity.Kind.IE)
    assert 450 <= companies.count() <= 550
    for bin_ in companies.values_list("bin", flat=True):
        assert bin_validate(bin_) == bin_
    ies = Entity.objects.filter(kind=Entity.Kind.IE)
    assert 250 <= ies.count() <= 350
    iins = {p.iin for p in people.values()}
    for entity in ies:
        assert entity.bin == entity.head_iin and entity.bin in iins
    for entity in companies.prefetch_related("founders")[:100]:
        assert sum(f.share for f in entity.founders.all()) == 100
        assert entity.head_iin in iins


@pytest.mark.django_db
def test_same_seed_gives_identical_data_and_another_seed_does_not():
    demo.population_generate(count=300, seed=2026, today=TODAY)
    first = demo.registries_digest()
    demo.registries_clear()
    assert Person.objects.count() == 0 and Founder.objects.count() == 0
    demo.population_generate(count=300, seed=2026, today=TODAY)
    assert demo.registries_digest() == first
    demo.registries_clear()
    demo.population_generate(count=300, seed=7, today=TODAY)
    assert demo.registries_digest() != first


@pytest.mark.django_db
def test_refuses_to_generate_over_existing_data():
    demo.population_generate(count=50, seed=1, today=TODAY)
    with pytest.raises(ValueError, match="registries_clear"):
        demo.population_generate(count=50, seed=1, today=TODAY)


@pytest.mark.django_db
def test_fixed_demo_people():
    demo.population_generate(count=0, today=TODAY)
    a = Person.objects.select_related("spouse", "address").get(iin=demo.DEMO_CITIZEN_A_IIN)
    assert (a.last_name, a.first_name, a.patronymic, a.sex) == (
        "Нұрланова", "Айгерім", "Серікқызы", "F",
    )  # fmt: skip
    assert a.spouse.iin == demo.DEMO_CITIZEN_A_SPOUSE_IIN and a.spouse.last_name == "Нұрланов"
    children = list(Person.objects.filter(mother=a).order_by("birth_date"))
    assert len(children) == 2
    assert all(c.address_id == a.address_id and c.father_id == a.spouse_id for c in children)
    assert 1 <= _age(children[0].birth_date, TODAY) <= 6  # kindergarten age
    assert (TODAY - children[1].birth_date).days < 365  # born in the last year
    assert children[1].last_name == "Нұрланова" and children[0].last_name == "Нұрланов"
    b = Person.objects.get(iin=demo.DEMO_CITIZEN_B_IIN)
    assert _age(b.birth_date, TODAY) >= 18
    assert set(demo.DEMO_OFFICER_IINS) == {a["code"] for a in demo.agencies_load()}
    for code, roles in demo.DEMO_OFFICER_IINS.items():
        # Every agency has an officer and a head; some also have the finance desk's people.
        names = sorted(role for _iin, role in roles)
        assert names.count("head") == names.count("officer") == 1, code
        assert set(names) <= {"head", "officer", "finance_officer", "treasury"}, code
        for iin, _role in roles:
            assert iin_validate(iin) == iin
            assert Person.objects.filter(iin=iin, death_date=None).exists()


def test_demo_iins_are_stable_constants():
    # The README prints these; they must not change between releases.
    assert demo.DEMO_CITIZEN_A_IIN == "940315426018"
    assert demo.DEMO_CITIZEN_B_IIN == "881102326032"
    assert demo.DEMO_OFFICER_IINS["kz-mvd"] == [
        ("720101427007", "officer"),
        ("750608327032", "head"),
    ]
    all_iins = [demo.DEMO_CITIZEN_A_IIN, demo.DEMO_CITIZEN_B_IIN] + [
        iin for roles in demo.DEMO_OFFICER_IINS.values() for iin, _ in roles
    ]
    assert len(set(all_iins)) == len(all_iins)
    for iin in all_iins:
        iin_validate(iin)
