"""The demo loader and the demo logins command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from qyzmet.countries.kz import demo
from qyzmet.identity.models import Membership, Organisation, User
from qyzmet.registries.legal_entities.models import Entity, Founder
from qyzmet.registries.population.models import Address, Person

pytestmark = pytest.mark.django_db

MODELS = (Person, Address, Entity, Founder, Organisation, User, Membership)


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def _load(*args: str) -> str:
    out = StringIO()
    call_command("demo_load", *args, "--no-model", stdout=out)
    return out.getvalue()


def test_demo_load_creates_everything_once():
    _load("--count", "300")
    first = _counts()
    assert first["Person"] >= 300
    agencies = demo.agencies_load()
    codes = set(Organisation.objects.values_list("code", flat=True))
    assert {a["code"] for a in agencies} <= codes  # plus the exchange's and appeals' organisations
    for agency in agencies:
        roles = set(
            Membership.objects.filter(organisation__code=agency["code"]).values_list(
                "role", flat=True
            )
        )
        assert {"officer", "head"} <= roles
    ids_before = set(Person.objects.values_list("pk", flat=True))

    out = _load("--count", "300")
    assert _counts() == first
    assert set(Person.objects.values_list("pk", flat=True)) == ids_before
    assert "already" in out and "Created 0 organisations, 0 users, 0 memberships" in out


def test_demo_users_and_memberships():
    _load("--count", "100")
    a = User.objects.get(iin=demo.DEMO_CITIZEN_A_IIN)
    assert a.check_password(demo.DEMO_PASSWORD)
    assert (a.full_name, a.language) == ("Нұрланова Айгерім Серікқызы", "kk")
    assert User.objects.get(iin=demo.DEMO_CITIZEN_B_IIN).language == "ru"
    mvd = Organisation.objects.get(code="kz-mvd")
    assert mvd.kind == "agency" and mvd.bin == "990340001012"
    assert mvd.name_kk.startswith("Қазақстан Республикасы Ішкі істер")
    for code, people in demo.DEMO_OFFICER_IINS.items():
        for iin, role in people:
            assert Membership.objects.filter(
                user__iin=iin, organisation__code=code, role=role
            ).exists()
    # The logins' names are the registry's names.
    for login in demo.demo_logins():
        person = Person.objects.get(iin=login.iin)
        assert person.full_name == login.full_name


def test_a_larger_count_regenerates_a_smaller_population():
    _load("--count", "100")
    small = Person.objects.count()
    _load("--count", "300", "--seed", "2026")
    assert Person.objects.count() >= 300 > small
    assert Person.objects.filter(iin=demo.DEMO_CITIZEN_A_IIN).count() == 1


def test_organisation_upsert_corrects_drift():
    _load("--count", "0")
    Organisation.objects.filter(code="kz-mvd").update(name_en="old")
    _org, created = demo.organisation_upsert(
        code="kz-mvd", bin="990340001012", name_kk="а", name_ru="б", name_en="c"
    )
    assert not created and Organisation.objects.get(code="kz-mvd").name_en == "c"


def test_demo_logins_prints_a_table():
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert demo.DEMO_CITIZEN_A_IIN in text and demo.DEMO_CITIZEN_B_IIN in text
    assert "Нұрланова Айгерім Серікқызы" in text
    assert text.count(demo.DEMO_PASSWORD) == len(demo.demo_logins())
    assert "officer (kz-mvd)" in text and "head (kz-almaty-education)" in text
    assert "One-time codes (embedded mode): http://127.0.0.1:8000/dev/otp/" in text
