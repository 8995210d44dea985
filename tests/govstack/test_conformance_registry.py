"""Schema-described registries: loading them (`govstack_registry_load`), who may call them
directly (`open_registry_verify`: only public-test registries, never the built-in ones), and
that their reads reach the audit trail and "who looked at my data" like the built-in ones'."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from qyzmet.audit.models import AuditEntry
from qyzmet.audit.usage import personal_data_usage
from qyzmet.registries.govstack.models import SchemaRecord, SchemaRegistry
from qyzmet.registries.govstack.schema_registries import DescriptionInvalid
from qyzmet.registries.govstack.services import RecordsInvalid, schema_registry_load
from tests.registries.factories import PersonFactory

from .conformance import BASE, DESCRIPTION_FILE, OPEN_VERIFIER, RECORDS, TEST_DATA, description
from .conformance import direct as direct_call
from .helpers import gateway_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    records = tmp_path / "test-data.json"
    records.write_text(json.dumps(TEST_DATA))
    return {"schema": str(DESCRIPTION_FILE), "records": str(records)}


@pytest.fixture
def open_env(settings):
    settings.QYZMET_GATEWAY_VERIFIER = OPEN_VERIFIER
    settings.QYZMET_GOVSTACK_FALLBACK_VERIFIER = ""


def _load(capsys, **options) -> str:
    call_command("govstack_registry_load", **options)
    return capsys.readouterr().out


def test_load_is_idempotent_and_replace_resets(files, capsys, open_env):
    assert "23 created" in _load(capsys, **files)
    assert "0 created, 0 updated, 23 unchanged" in _load(capsys, **files)
    row = SchemaRegistry.objects.get(name="registryname", version="111")
    assert (row.database_id, row.key, row.person_field, row.public_test) == (
        "MCTS",
        "uuid",
        "ID",
        True,
    )
    # `id` in the records file is the field `ID` (import_names).
    billy = SchemaRecord.objects.get(key="80bcc376-fa17-11ed-be56-0242ac120002")
    assert billy.data["ID"] == billy.person == "EE378129127223" and "id" not in billy.data
    direct_call("PUT", f"{BASE}/update", {"query": {"content": {"ID": "EE378129127223"}},
                                         "write": {"content": {"LastName": "X"}}})  # fmt: skip
    direct_call("POST", f"{BASE}/create", {"write": {"content": {
        "ID": "EE1", "FirstName": "A", "LastName": "B", "BirthCertificateID": "C"}}})  # fmt: skip
    assert "1 updated, 22 unchanged, 0 removed" in _load(capsys, **files)
    assert SchemaRecord.objects.filter(registry=row).count() == 24
    assert "0 updated, 23 unchanged, 1 removed" in _load(capsys, **files, replace=True)
    assert SchemaRecord.objects.get(key=billy.key).data["LastName"] == "Johnson"
    audit = AuditEntry.objects.filter(action="govstack.registry_load")
    assert audit.count() == 4 and audit.last().data["removed"] == 1


def test_one_file_holding_registry_and_records(tmp_path, capsys):
    both = tmp_path / "registry.json"
    both.write_text(json.dumps({"registry": description(), "records": RECORDS[:2]}))
    assert "2 created" in _load(capsys, schema=str(both))


@pytest.mark.parametrize(("change", "pointer"), [
    ({"name": "population"}, "/name"),
    ({"key": "PersonalData"}, "/key"),
    ({"person_field": "Nope"}, "/person_field"),
    ({"usage_field": "FirstName"}, "/usage_field"),
    ({"schema": {"type": "object", "properties": {"a__b": {"type": "string"}}}}, "/schema"),
    ({"schema": {"type": "object", "properties": {"uuid": {"type": 5}}}}, "/schema"),
    ({"page_size": 1000}, "/page_size"),
    ({"surprise": 1}, ""),
])  # fmt: skip
def test_a_bad_description_is_refused(change, pointer):
    with pytest.raises(DescriptionInvalid) as caught:
        schema_registry_load(description={**description(), **change})
    assert any(p.startswith(pointer) for p, _ in caught.value.errors), caught.value.errors
    assert not SchemaRegistry.objects.exists()


def test_bad_records_load_nothing(files, capsys):
    bad = [dict(RECORDS[0], FirstName=5), dict(RECORDS[1]), dict(RECORDS[1])]
    with pytest.raises(RecordsInvalid) as caught:
        schema_registry_load(description=description(), records=bad)
    pointers = [p for p, _ in caught.value.errors]
    assert pointers == ["/records/0/FirstName", "/records/2/uuid"]
    assert not SchemaRecord.objects.exists()
    with pytest.raises(CommandError):
        call_command("govstack_registry_load", schema=files["records"])  # not a description


def test_a_database_id_belongs_to_one_registry(files, capsys):
    _load(capsys, **files)
    with pytest.raises(CommandError, match="database ID"):
        call_command("govstack_registry_load", schema=files["schema"], name="another")


# --- who may call directly ------------------------------------------------------------------


def test_built_in_registries_are_never_opened(open_env, files, capsys, settings):
    settings.QYZMET_GOVSTACK_OPEN_REGISTRIES = ["population", "registryname"]
    _load(capsys, **files)
    person = PersonFactory()
    assert direct_call("GET", BASE).status_code == 200
    for method, path, body in [
        ("GET", "/data/population/1.0", None),
        ("POST", "/data/population/1.0/read", {"query": {"content": {"iin": person.iin}}}),
        ("GET", f"/data/population/1.0/{person.iin}/read-value/last_name.json", None),
        ("GET", f"/data/MyPersonalDataUsage/1.0?userID={person.iin}&DatabaseID=population",
         None),
        ("GET", f"/data/MyPersonalDataUsage/1.0?ID={person.iin}", None),
    ]:  # fmt: skip
        response = direct_call(method, path, body)
        assert response.status_code == 401, (path, response.content)
        assert response.json()["code"] == "gateway.proof_missing"


def test_only_public_test_or_named_registries_are_opened(open_env, files, capsys, settings):
    _load(capsys, **files)
    closed = {**description(), "name": "closedregistry", "database_id": "CLOSED",
              "public_test": False}  # fmt: skip
    schema_registry_load(description=closed, records=RECORDS[:3])
    assert direct_call("GET", "/data/closedregistry/111").status_code == 401
    usage = "/data/MyPersonalDataUsage/1.0?userID=EE123627348834&DatabaseID=CLOSED"
    assert direct_call("GET", usage).status_code == 401
    settings.QYZMET_GOVSTACK_OPEN_REGISTRIES = ["closedregistry"]
    assert direct_call("GET", "/data/closedregistry/111").json()["count"] == 3
    assert direct_call("GET", usage).status_code == 200


def test_public_test_alone_opens_nothing(files, capsys, settings):
    """With the production verifier (the gateway's signature), a public-test registry is as
    closed as any: opening needs the deployment to choose `open_registry_verify`."""
    settings.QYZMET_GATEWAY_VERIFIER = "qyzmet.exchange.provider.gateway_request_verify"
    _load(capsys, **files)
    assert direct_call("GET", BASE).status_code == 401
    assert direct_call("GET", "/data/MyPersonalDataUsage/1.0?userID=EE378129277266"
                              "&DatabaseID=MCTS").status_code == 401  # fmt: skip


def test_through_the_gateway_a_schema_registry_answers_like_a_built_in_one(files, capsys,
                                                                          settings):  # fmt: skip
    settings.QYZMET_GATEWAY_VERIFIER = ""  # the registry-side proof of tests/govstack
    _load(capsys, **files)
    body = {"query": {"content": {"ID": "EE378129127223"}}}
    assert direct_call("POST", f"{BASE}/read", body).status_code == 401
    no_user = gateway_call("POST", f"{BASE}/read", body)
    assert no_user.status_code == 400 and no_user.json()["code"] == "gateway.user_required"
    ok = gateway_call("POST", f"{BASE}/read", body, user="EE378129127223")
    assert ok.status_code == 200 and ok.json()["content"]["FirstName"] == "Billy"
    read = AuditEntry.objects.get(action="read:registryname.record")
    assert (read.object_type, read.object_id, read.subject_iin) == (
        "govstack.registryname.person",
        "EE378129127223",
        "",
    )
    assert read.purpose and read.data["user"] == "EE378129127223" and "direct" not in read.data
    own = gateway_call("GET", "/data/MyPersonalDataUsage/1.0?userID=EE378129127223"
                              "&DatabaseID=MCTS", user="EE378129127223")  # fmt: skip
    assert own.status_code == 200 and len(own.json()) == 2
    other = gateway_call("GET", "/data/MyPersonalDataUsage/1.0?userID=EE378129127223"
                                "&DatabaseID=MCTS", user="EE334569121212")  # fmt: skip
    assert other.status_code == 403 and other.json()["code"] == "govstack.not_own_data"


def test_a_schema_registry_of_iins_feeds_the_citizens_data_tracker(open_env):
    person = PersonFactory()
    desc = {**description(), "name": "pets", "version": "1", "database_id": "PETS",
            "import_names": {}}  # fmt: skip
    desc["schema"]["properties"]["ID"]["pattern"] = "^[0-9]{12}$"
    schema_registry_load(description=desc, records=[{
        "uuid": "6f1c1f8e-2f43-4b5e-9a57-0c8c3c0d7a11", "ID": person.iin, "FirstName": "Rex",
        "LastName": "Dog", "BirthCertificateID": "PET-1"}])  # fmt: skip
    read = direct_call("GET", "/data/pets/1/6f1c1f8e-2f43-4b5e-9a57-0c8c3c0d7a11/read-value/"
                              "FirstName.json")  # fmt: skip
    assert read.json() == "Rex"
    entries = personal_data_usage(subject_iin=person.iin).entries
    assert [(e.registry, e.fields, e.reference) for e in entries] == [
        ("pets", ["FirstName"], "6f1c1f8e-2f43-4b5e-9a57-0c8c3c0d7a11")
    ]
    row = AuditEntry.objects.get(action="read:pets.record")
    assert row.data["direct"] is True and row.subject_iin == person.iin
