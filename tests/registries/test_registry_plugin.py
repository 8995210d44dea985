"""Adding a registry as a plugin: a descriptor defined here (a tiny "pets" registry answered from
a dict) is registered and, with no other code, becomes valid evidence for a service package,
is answered (and audited) by the registry client, is published on the exchange (facts and change
events, no Data API), is read when a citizen applies, and is named in the UI.

This is the test docs/registries.md points to: what it touches is what adding a registry needs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from qyzmet.applications import services as app_services
from qyzmet.audit.models import AuditEntry
from qyzmet.catalog.services import catalog_sync
from qyzmet.catalog.validation import package_file_validate, registry_facts_known
from qyzmet.exchange import registry_client as rc
from qyzmet.exchange.models import AccessRight, Service
from qyzmet.exchange.services import exchange_sync
from qyzmet.registries.descriptor import (
    ANY,
    ChangeEventType,
    FactSpec,
    RegistryDescriptor,
    registry_descriptor,
    registry_register,
    registry_unregister,
)
from qyzmet.ui.labels import REGISTRY_LABELS, registry_label
from tests.portal.factories import catalog_loaded, citizen

pytestmark = pytest.mark.django_db

HERE = Path(__file__).resolve().parent / "plugin"
PACKAGE = HERE / "pet-licence.v1.yaml"
OWNER = "870412300416"  # an IIN with a valid check digit (the factories' people get their own)
PETS: dict[str, dict[str, Any]] = {}


class PetsRegistry(RegistryDescriptor):
    """The fixture registry: one fact, answered from `PETS`, and one change event."""

    code = "pets"
    label = "pet register"
    data_api = False
    change_events = (
        ChangeEventType("kz.gov.registries.pets.pet_registered", "iin", "A pet was registered"),
    )

    def facts(self) -> tuple[FactSpec, ...]:
        return (
            FactSpec("pets_of_person", "iin", {"count": None, "pets": ANY},
                     lambda iin: PETS.get(iin, {"count": 0, "pets": []})),
        )  # fmt: skip


@pytest.fixture
def pets():
    registry_register(PetsRegistry)
    yield registry_descriptor("pets")
    registry_unregister("pets")
    PETS.clear()


def test_without_the_plugin_the_package_is_refused():
    _data, errors = package_file_validate(PACKAGE)
    assert [e.pointer for e in errors] == ["/evidence/1/registry"]
    assert "unknown registry 'pets'" in errors[0].reason


def test_validator_knows_the_plugins_fact_and_its_fields(pets):
    assert registry_facts_known()["pets"] == {"pets_of_person": {"count": None, "pets": ANY}}
    _data, errors = package_file_validate(PACKAGE)
    assert errors == []


def test_validator_refuses_a_field_the_plugin_does_not_return(pets, tmp_path):
    text = PACKAGE.read_text(encoding="utf-8").replace("show: [count]", "show: [colour]")
    path = tmp_path / PACKAGE.name
    path.write_text(text, encoding="utf-8")
    _data, errors = package_file_validate(path)
    assert [(e.pointer, e.reason) for e in errors] == [
        ("/evidence/1/show/0", "pets_of_person has no field 'colour'")
    ]


def test_client_answers_the_plugins_fact_and_audits_the_read(pets, settings):
    settings.QYZMET_REGISTRY_CLIENT = "qyzmet.exchange.registry_client.LocalRegistryClient"
    PETS[OWNER] = {"count": 1, "pets": [{"kind": "dog", "name": "Akbar"}]}
    assert rc.registry_facts()["pets"] == {"pets_of_person"}
    answer = rc.registry_client().fetch(
        registry="pets", fact="pets_of_person", subject=OWNER, purpose="test: pets", actor=None
    )
    assert answer["count"] == 1
    read = AuditEntry.objects.get(kind="read", action="read:pets.pets_of_person")
    assert read.subject_iin == OWNER
    assert read.purpose == "test: pets"
    with pytest.raises(rc.InvalidSubject):
        rc.registry_client().fetch(registry="pets", fact="pets_of_person", subject="123",
                                   purpose="test", actor=None)  # fmt: skip


def test_exchange_publishes_facts_and_events_but_no_data_api(pets):
    catalog_loaded()
    exchange_sync(path=HERE / "exchange.yaml")
    published = set(
        Service.objects.filter(subsystem__code="pets").values_list("code", "base_url")
    )
    assert published == {("facts", "/data/pets/1.0/facts"), ("events", "/data/pets/1.0/events")}
    # The platform reads every registry's change feed (in-process consumers), pack line or not.
    platform = "KZ/GOV/990340020019/qyzmet-portal"
    rights = AccessRight.objects.filter(client__xroad_id=platform, service__subsystem__code="pets")
    assert set(rights.values_list("service__code", flat=True)) == {"facts", "events"}


def test_applying_puts_the_plugins_fact_in_the_evidence(pets, tmp_path, settings):
    catalog_loaded()
    exchange_sync(path=HERE / "exchange.yaml")
    for f in Path(django_settings.QYZMET_SERVICE_PACKAGE_DIRS[0]).glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    shutil.copy(PACKAGE, tmp_path / PACKAGE.name)
    settings.QYZMET_SERVICE_PACKAGE_DIRS = [tmp_path]
    catalog_sync()
    person = citizen()
    PETS[person.iin] = {"count": 2, "pets": [{"kind": "cat", "name": "Mysyq"},
                                            {"kind": "dog", "name": "Tobet"}]}  # fmt: skip

    application, _ = app_services.application_submit(
        actor=person, service_code="kz.pet-licence", data={"purpose": "bank"}
    )

    assert application.evidence["pets"] == PETS[person.iin]
    # Read through the gateway: the registry's facts endpoint audited it for the person.
    reads = AuditEntry.objects.filter(
        kind="read", action="read:pets.pets_of_person", subject_iin=person.iin
    )
    assert reads.count() == 1
    assert application.service_code in reads.get().purpose  # read while sending it


def test_the_plugins_label_is_shown(pets):
    assert registry_label("pets") == "pet register"
    assert REGISTRY_LABELS.get("pets") == "pet register"
    assert "pets" in REGISTRY_LABELS


def test_unregistering_forgets_the_plugin(pets):
    registry_unregister("pets")
    assert "pets" not in rc.registry_facts()
    assert "pets" not in registry_facts_known()
    assert registry_label("pets") == "Pets"
