"""The facts endpoints answer exactly what `LocalRegistryClient` answers, and audit the read with
the gateway's client, end user and purpose."""

from __future__ import annotations

import pytest

from qyzmet.audit.models import AuditEntry
from qyzmet.exchange.registry_client import LocalRegistryClient, registry_facts
from tests.govstack.factories import CriminalRecordFactory, OwnershipFactory, VehicleFactory
from tests.govstack.helpers import CLIENT_ID, PURPOSE, gateway_call
from tests.registries.factories import EntityFactory, FounderFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    mother = PersonFactory(sex="F")
    person = PersonFactory(mother=mother)
    entity = EntityFactory(head_iin=person.iin)
    FounderFactory(entity=entity, iin=person.iin, share=60)
    EntityFactory(bin=person.iin, kind="IE", head_iin=person.iin, name="ИП Ахметов")
    VehicleFactory(owner_iin=person.iin)
    VehicleFactory(owner_iin=person.iin, status="deregistered")
    OwnershipFactory(owner_iin=person.iin)
    CriminalRecordFactory(iin=person.iin)
    return {"iin": person.iin, "bin": entity.bin}


def test_new_registries_are_in_the_fact_list():
    facts = registry_facts()
    assert facts["vehicles"] == {"vehicles_of_person"}
    assert facts["real_estate"] == {"properties_of_person"}
    assert facts["criminal_records"] == {"criminal_record_status"}


@pytest.mark.parametrize(
    ("registry", "fact"),
    sorted((r, f) for r, facts in registry_facts().items() for f in facts),
)
def test_fact_endpoint_equals_local_client(people, registry, fact):
    subject = people["bin"] if fact == "entity" else people["iin"]
    local = LocalRegistryClient().fetch(
        registry=registry, fact=fact, subject=subject, purpose=PURPOSE, actor=None
    )
    response = gateway_call(
        "GET", f"/data/{registry}/1.0/facts/{fact}?subject={subject}", user=people["iin"]
    )
    assert response.status_code == 200, response.content
    assert response.json() == local
    entry = AuditEntry.objects.filter(action=f"read:{registry}.{fact}").order_by("-id").first()
    assert entry.data["client"] == CLIENT_ID and entry.data["user"] == people["iin"]
    assert entry.purpose == PURPOSE and entry.data["fields"] == list(local)


def test_new_facts_shapes(people):
    vehicles = gateway_call("GET", f"/data/vehicles/1.0/facts/vehicles_of_person?subject="
                            f"{people['iin']}", user=people["iin"]).json()  # fmt: skip
    assert len(vehicles["vehicles"]) == 1  # the deregistered one is left out
    status = gateway_call("GET", f"/data/criminal_records/1.0/facts/criminal_record_status"
                          f"?subject={people['iin']}", user=people["iin"]).json()  # fmt: skip
    assert status["has_record"] is True and status["records"][0]["expunged"] is False


def test_fact_errors(people):
    iin = people["iin"]
    assert gateway_call("GET", f"/data/population/1.0/facts/shoe_size?subject={iin}",
                        user=iin).json()["code"] == "registry.unknown_fact"  # fmt: skip
    bad = gateway_call("GET", "/data/population/1.0/facts/person?subject=123", user=iin)
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/subject"
    unknown = PersonFactory.build().iin
    missing = gateway_call("GET", f"/data/population/1.0/facts/person?subject={unknown}", user=iin)
    assert missing.status_code == 404 and missing.json()["code"] == "registry.subject_not_found"
    fields = gateway_call("GET", f"/data/population/1.0/facts/person?subject={iin}"
                          "&fields=iin,address.full", user=iin).json()  # fmt: skip
    assert set(fields) == {"iin", "address"} and set(fields["address"]) == {"full"}
    no_proof = gateway_call("GET", f"/data/population/1.0/facts/person?subject={iin}", user=iin,
                            proof=False)  # fmt: skip
    assert no_proof.status_code == 401
