"""Factories for people and organisations. IINs and BINs are valid (generated, not typed)."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from qyzmet.countries.kz.identifiers import bin_make, iin_make
from qyzmet.identity.models import Membership, Organisation, User

PASSWORD = "correct horse battery 42"

_serials = itertools.count(1)


def iin_taken(iin: str) -> bool:
    """Whether a person or an account already holds this IIN (factories never reuse one)."""
    from qyzmet.registries.population.models import Person

    return User.objects.filter(iin=iin).exists() or Person.objects.filter(iin=iin).exists()


def next_iin(birth: dt.date = dt.date(1990, 5, 17), sex: str = "M") -> str:
    while True:
        iin = iin_make(birth, sex, next(_serials) % 10000)
        if iin is not None and not iin_taken(iin):
            return iin


def next_bin() -> str:
    while True:
        bin_ = bin_make(dt.date(2005, 3, 1), 4, 1, next(_serials) % 100000)
        if bin_ is not None:
            return bin_


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    iin = factory.LazyFunction(next_iin)
    full_name = factory.Sequence(lambda n: f"Айгерім Сейітқызы {n}")
    phone = factory.Sequence(lambda n: f"+7701{n:07d}")
    email = factory.Sequence(lambda n: f"person{n}@example.kz")
    language = "kk"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"agency-{n}")
    bin = factory.LazyFunction(next_bin)
    kind = Organisation.Kind.AGENCY
    name_kk = factory.Sequence(lambda n: f"Агенттік {n}")
    name_ru = factory.Sequence(lambda n: f"Агентство {n}")
    name_en = factory.Sequence(lambda n: f"Agency {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "officer"
