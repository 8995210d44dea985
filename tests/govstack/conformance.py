"""The GovStack Digital Registries conformance suite's test registry, as our tests load it: the
shipped registry description (`conformance/govstack-test-registry.json`) and records in the
suite's test-data.json shape (`{"registries": {registryname, versionnumber, databaseID,
records}}`, records naming the person's ID `id`). The records are the ones the suite's Data API
scenarios rely on (same names and identifiers), written out here rather than copied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.test import Client

import qyzmet.registries.govstack as govstack_package

DESCRIPTION_FILE = (
    Path(govstack_package.__file__).parent / "conformance" / ("govstack-test-registry.json")
)
MEDIATOR = ("Information-Mediator-Client", "eGovStack/GOV/90000009/digitalregistries")
OPEN_VERIFIER = "qyzmet.registries.govstack.gateway.open_registry_verify"
BASE = "/data/registryname/111"

_HOSPITAL_READ = {
    "ID": "1234567", "ReaderID": "EE37819285773", "ReaderInitials": "JD",
    "ReaderInstitutionID": "EE70049837", "ReaderInstitutionName": "East Hospital",
    "ReaderApplicationName": "East Hospital healthcare back office",
    "SearchDateTime": "2017-07-21T17:32:28Z", "Refrences": [{"ReferenceID": "MCTS31"}],
}  # fmt: skip


# uuid, id, FirstName, LastName, BirthCertificateID, reads logged by the previous system
_TABLE = """
80bcb084-fa17-11ed-be56-0242ac120002 EE123627348834 John Bon RR-3334537999 0
80bcb34a-fa17-11ed-be56-0242ac120002 EE456627348834 Alice Hendrix RR-1114537999 0
80bcb49e-fa17-11ed-be56-0242ac120002 EE789627348834 Jack King RR-4444537999 0
80bcb5b6-fa17-11ed-be56-0242ac120002 EE987627348834 Bob Small RR-5555537999 0
80bcb6ec-fa17-11ed-be56-0242ac120002 EE654627348834 Eva Sorenz RR-7777537999 0
80bcc15a-fa17-11ed-be56-0242ac120002 EE6546273487865 Emma Smith RR-7777536299 0
80bcc268-fa17-11ed-be56-0242ac120002 EE6546273487865 Tobias Smith RR-4419523937 0
80bcc376-fa17-11ed-be56-0242ac120002 EE378129127223 Billy Johnson RR-1112223331 1
80bcc47a-fa17-11ed-be56-0242ac120002 EE334569121212 John Smith RR-1234567890 1
80bcc57e-fa17-11ed-be56-0242ac120002 EE390029120500 Ana Adams RR-0987654321 1
80bcb084-fa17-11ed-be56-0242ac120003 EE378129277266 John Bon RR-3334537999 1
01fbf75d-43bb-4ee8-9f49-f85d26361e2e EE3784545277266 Philip Red RR-30045370099 1
38aabe75-a1e5-4bba-9b40-5207be85b8d2 EE34462734834865 Alex Green RR-441124937 0
29448e66-84cb-4d80-998f-267cda61e210 EE61287673487865 Alise Black RR-49075937 0
0f0a4a52-8c8e-4c47-9d3a-6f1d0c8e5a10 EE6534523487865 Zyra Blue RR-24523937 0
4784f9c5-c5d7-40ce-9e19-88c1a1a8a890 EE65346467865 Alina Soft RR-24521537 0
0708b733-a2f5-4ec5-8a7d-d79c71de2fbb EE65989865 Casandra Flu RR-20021537 0
ea55fda3-35b7-49dd-87fc-c742fa31e0b2 EE6387665 Olga Bread RR-200215677 0
ef6d09ee-a2ed-49ad-8d6f-44f434a620f2 EE1112223331 Billy Johnson RR-1112223331 0
80bcb804-fa17-11ed-be56-0242ac120002 EE378627348834 John Corn RR-0987000321 0
80bcbc46-fa17-11ed-be56-0242ac120002 EE378627348855 John Snow RR-0900654321 0
80bcbe62-fa17-11ed-be56-0242ac120002 RR378627348834 John Great RR-0987654300 0
80bcc02e-fa17-11ed-be56-0242ac120002 DD378627348834 John Kane RR-0008765401 0
"""

RECORDS: list[dict[str, Any]] = [
    {"uuid": uuid, "id": id_, "FirstName": first, "LastName": last,
     "BirthCertificateID": certificate, "PersonalData": [dict(_HOSPITAL_READ)] * int(reads)}
    for uuid, id_, first, last, certificate, reads in (
        line.split() for line in _TABLE.strip().splitlines()
    )
]  # fmt: skip

TEST_DATA = {"registries": {"registryname": "registryname", "versionnumber": "111",
                            "databaseID": "MCTS", "records": RECORDS}}  # fmt: skip


def description() -> dict[str, Any]:
    return json.loads(DESCRIPTION_FILE.read_text(encoding="utf-8"))


def direct(method: str, path: str, body: Any = None, *, raw: bytes | None = None,
           headers: dict[str, str] | None = None):  # fmt: skip
    """A call as the GovStack suite makes it: straight to the registry, with only the
    Information-Mediator-Client header (and a JSON body)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    return Client().generic(
        method, path, data, content_type="application/json; charset=utf-8",
        headers={MEDIATOR[0]: MEDIATOR[1], **(headers or {})},
    )  # fmt: skip
