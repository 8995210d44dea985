"""The registry client seam: validation, errors, field selection and the audit of every read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from qyzmet.audit.models import AuditEntry
from qyzmet.exchange import registry_client as rc
from qyzmet.identity.models import User
from qyzmet.registries.legal_entities.models import Entity

from .factories import EntityFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_client(settings):
    """This module checks the in-process client's contract; the gateway client keeps the same
    contract and is tested through the gateway in tests/exchange."""
    settings.QYZMET_REGISTRY_CLIENT = "qyzmet.exchange.registry_client.LocalRegistryClient"


@pytest.fixture
def officer():
    return User.objects.create_user("750608327032", "x", full_name="Сейітов Марат Ерланұлы")


def _fetch(**kw):
    kw.setdefault("purpose", "application 42: address certificate")
    kw.setdefault("actor", None)
    return rc.registry_client().fetch(**kw)


def test_registry_facts_lists_every_fact():
    assert rc.registry_facts() == {
        "population": {"person", "children", "family", "address"},
        "legal_entities": {"entity", "entities_of_person", "ie_status"},
        "vehicles": {"vehicles_of_person"},
        "real_estate": {"properties_of_person"},
        "criminal_records": {"criminal_record_status"},
    }


def test_configured_client_is_used_and_cached(settings):
    assert isinstance(rc.registry_client(), rc.LocalRegistryClient)
    assert rc.registry_client() is rc.registry_client()
    settings.QYZMET_REGISTRY_CLIENT = "qyzmet.exchange.registry_client.UnavailableRegistryClient"
    with pytest.raises(rc.RegistryUnavailable):
        _fetch(registry="population", fact="person", subject=PersonFactory().iin)


def test_person_read_is_audited_for_the_subject(officer, django_assert_num_queries):
    person = PersonFactory()
    with django_assert_num_queries(2):  # the fact, and the audit row
        fact = _fetch(registry="population", fact="person", subject=person.iin, actor=officer)
    assert fact["iin"] == person.iin
    entry = AuditEntry.objects.get()
    assert entry.kind == AuditEntry.Kind.READ
    assert entry.action == "read:population.person"
    assert entry.subject_iin == person.iin
    assert entry.actor_id == officer.pk
    assert entry.purpose == "application 42: address certificate"
    assert entry.data["fields"] == list(fact)


@pytest.mark.parametrize("fact", ["children", "family"])
def test_family_reads_are_audited_for_the_person_asked_about(fact):
    mother = PersonFactory(sex="F")
    PersonFactory(mother=mother, birth_date=dt.date(2020, 1, 1))
    answer = _fetch(registry="population", fact=fact, subject=mother.iin)
    assert len(answer["children"]) == 1
    entry = AuditEntry.objects.get()
    assert (entry.subject_iin, entry.action) == (mother.iin, f"read:population.{fact}")


def test_fields_narrow_the_answer_and_the_audit():
    person = PersonFactory()
    fact = _fetch(
        registry="population",
        fact="person",
        subject=person.iin,
        fields=["full_name", "address.full"],
    )
    assert fact == {"full_name": person.full_name, "address": {"full": person.address.full}}
    assert AuditEntry.objects.get().data["fields"] == ["full_name", "address.full"]
    with pytest.raises(rc.InvalidRequest):
        _fetch(registry="population", fact="person", subject=person.iin, fields=["salary"])


def test_unknown_fact_and_registry():
    iin = PersonFactory().iin
    with pytest.raises(rc.UnknownFact):
        _fetch(registry="population", fact="salary", subject=iin)
    with pytest.raises(rc.UnknownFact):
        _fetch(registry="tax", fact="person", subject=iin)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("12345", "IIN must be exactly 12 digits"),
        ("940315426019", "IIN check digit is wrong"),
        ("941315426010", "IIN does not start with a valid birth date (YYMMDD)"),
    ],
)
def test_invalid_iin_says_why(subject, reason):
    with pytest.raises(rc.InvalidSubject) as info:
        _fetch(registry="population", fact="person", subject=subject)
    assert info.value.reason == reason
    assert isinstance(info.value, rc.RegistryError)


def test_unknown_person():
    with pytest.raises(rc.SubjectNotFound):
        _fetch(registry="population", fact="person", subject="940315426018")
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("purpose", ["", "   "])
def test_purpose_is_required(purpose):
    with pytest.raises(rc.PurposeRequired):
        _fetch(registry="population", fact="person", subject=PersonFactory().iin, purpose=purpose)
    assert not AuditEntry.objects.exists()


def test_entity_by_bin_and_by_ie_iin():
    company = EntityFactory()
    fact = _fetch(registry="legal_entities", fact="entity", subject=company.bin)
    assert fact["bin"] == company.bin
    assert AuditEntry.objects.get().subject_iin == ""  # a company is not a person

    person = PersonFactory()
    EntityFactory(bin=person.iin, head_iin=person.iin, kind=Entity.Kind.IE)
    fact = _fetch(registry="legal_entities", fact="entity", subject=person.iin)
    assert fact["kind"] == "IE"
    assert AuditEntry.objects.latest("pk").subject_iin == person.iin

    with pytest.raises(rc.InvalidSubject, match="BIN check digit is wrong"):
        _fetch(registry="legal_entities", fact="entity", subject=company.bin[:11] + "0"
               if company.bin[11] != "0" else company.bin[:11] + "1")  # fmt: skip
    with pytest.raises(rc.SubjectNotFound):
        _fetch(registry="legal_entities", fact="entity", subject=PersonFactory().iin)


def test_person_facts_of_legal_entities_need_an_iin():
    company = EntityFactory()
    with pytest.raises(rc.InvalidSubject):
        _fetch(registry="legal_entities", fact="ie_status", subject=company.bin)
    iin = PersonFactory().iin
    assert _fetch(registry="legal_entities", fact="ie_status", subject=iin)["registered"] is False
    assert _fetch(registry="legal_entities", fact="entities_of_person", subject=iin) == {
        "entities": []
    }
    assert AuditEntry.objects.filter(subject_iin=iin).count() == 2


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("kk", "Тізілімде 940315426018 бойынша жазба жоқ."),
        ("ru", "В реестре нет записи для 940315426018."),
    ],
)
def test_errors_speak_the_callers_language(language, message):
    with translation.override(language), pytest.raises(rc.SubjectNotFound) as info:
        _fetch(registry="population", fact="person", subject="940315426018")
    assert str(info.value) == message
