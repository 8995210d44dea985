"""What is derived from the built-in registry descriptors: the service-package validator's known
facts (so the criminal-records, vehicle and real-estate facts are valid evidence), the gateway's
services per registry, the GovStack Data API's startup check, the UI labels, the declared change
events; and the criminal-record certificate (v4) that reads the criminal-records registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.checks import run_checks
from django.utils import translation

from qyzmet.applications import services as app_services
from qyzmet.catalog.models import ServiceVersion
from qyzmet.catalog.validation import registry_facts_known
from qyzmet.exchange import registry_client as rc
from qyzmet.exchange.models import AccessRight, Service
from qyzmet.registries.criminal_records.models import CriminalRecord
from qyzmet.registries.descriptor import (
    FactSpec,
    RegistryDescriptor,
    change_event_type,
    registry_descriptors,
    registry_register,
    registry_unregister,
)
from qyzmet.registries.govstack.registries import REGISTRIES, data_api_mismatches
from qyzmet.ui.labels import registry_label
from tests.portal.factories import catalog_loaded, citizen

BUILTIN = ["population", "legal_entities", "vehicles", "real_estate", "criminal_records"]


def test_every_builtin_registry_declares_itself():
    assert list(registry_descriptors()) == BUILTIN


def test_validator_knows_every_fact_the_client_answers():
    known = registry_facts_known()
    assert {code: set(facts) for code, facts in known.items()} == rc.registry_facts()
    assert known["criminal_records"]["criminal_record_status"]["has_record"] is None
    assert "vehicles" in known["vehicles"]["vehicles_of_person"]
    assert "properties" in known["real_estate"]["properties_of_person"]


def test_the_declared_change_events():
    declared = {
        e.type: (code, e.subject, e.personal)
        for code, d in registry_descriptors().items()
        for e in d.change_events
    }
    assert declared == {
        "kz.gov.registries.population.birth_registered": ("population", "iin", True),
        "kz.gov.registries.population.death_registered": ("population", "iin", True),
        "kz.gov.registries.population.address_changed": ("population", "iin", True),
        "kz.gov.registries.population.document_expiring": ("population", "iin", True),
        "kz.gov.registries.legal_entities.company_registered": ("legal_entities", "bin", False),
        "kz.gov.registries.vehicles.vehicle_reregistered": ("vehicles", "iin", True),
    }
    found = change_event_type("kz.gov.registries.vehicles.vehicle_reregistered")
    assert found is not None and found[0].code == "vehicles"
    with translation.override("ru"):
        assert str(found[1].label) != "A vehicle was re-registered to a new owner"
    with translation.override("kk"):
        assert str(found[1].label) != "A vehicle was re-registered to a new owner"


def test_labels_come_from_the_descriptors():
    with translation.override("en"):
        assert registry_label("criminal_records") == "criminal records register"
    with translation.override("ru"):
        assert registry_label("population") != "population register"


def test_data_api_mappings_match_the_descriptors():
    assert data_api_mismatches() == []
    assert set(REGISTRIES) == set(BUILTIN)


class _Exposed(RegistryDescriptor):
    code = "boats"
    label = "boat register"

    def facts(self) -> tuple[FactSpec, ...]:
        return (FactSpec("boats_of_person", "iin", {"boats": None}, lambda s: {"boats": []}),)


def test_a_data_api_registry_without_a_wire_mapping_stops_the_server():
    registry_register(_Exposed)
    try:
        errors = [e for e in run_checks() if e.id == "qyzmet.E009"]
    finally:
        registry_unregister("boats")
    assert [e.msg for e in errors] == [
        "registry 'boats' declares data_api but has no GovStack wire mapping in "
        "qyzmet.registries.govstack.registries.REGISTRIES"
    ]


@pytest.mark.django_db
def test_gateway_services_are_derived_from_the_descriptors():
    catalog_loaded()
    by_registry: dict[str, set[str]] = {}
    for sub, code, url in Service.objects.filter(subsystem__code__in=BUILTIN).values_list(
        "subsystem__code", "code", "base_url"
    ):
        by_registry.setdefault(sub, set()).add(code)
        assert url.startswith(f"/data/{sub}/1.0")
    assert by_registry == {
        "population": {"data", "facts", "events"},
        "legal_entities": {"data", "facts", "events"},
        "vehicles": {"data", "facts", "events"},
        "real_estate": {"data", "facts"},
        "criminal_records": {"data", "facts"},
    }
    events = Service.objects.get(subsystem__code="population", code="events")
    assert events.base_url == "/data/population/1.0/events"
    platform = AccessRight.objects.filter(
        client__xroad_id="KZ/GOV/990340020019/qyzmet-portal", service__code="events"
    )
    assert set(platform.values_list("service__subsystem__code", flat=True)) == {
        "population", "legal_entities", "vehicles"
    }


@pytest.mark.django_db
def test_criminal_record_certificate_reads_the_criminal_records_registry():
    catalog_loaded()
    person = citizen()
    CriminalRecord.objects.create(
        record_number="KZ-2019-000123", iin=person.iin, article="188 ч.1", article_title="Кража",
        verdict_date=dt.date(2019, 3, 4), court="Алмалинский районный суд г. Алматы",
        sentence="штраф", expunged_on=dt.date(2021, 3, 4),
    )  # fmt: skip

    application, _ = app_services.application_submit(
        actor=person, service_code="kz.criminal-record-certificate",
        data={"purpose": "employment"},
    )  # fmt: skip

    assert ServiceVersion.objects.get(pk=application.service_version_id).version == 4
    record = application.evidence["record"]
    assert record["has_record"] is False  # expunged: listed, but no record
    assert [r["record_number"] for r in record["records"]] == ["KZ-2019-000123"]
