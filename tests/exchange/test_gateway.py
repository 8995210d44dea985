"""The call through /r1/: access rights, signatures, replay, bad input, signed replies."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from qyzmet.audit.models import AuditEntry
from qyzmet.exchange import gateway, headers, signing
from qyzmet.exchange.models import MessageLogEntry
from qyzmet.exchange.services import access_right_revoke

from .factories import (
    CLIENT_ID,
    OTHER_ID,
    PROVIDER_ID,
    SERVICE_ID,
    error_type,
    grant,
    machine_client,
    service,
    subsystem,
)

pytestmark = pytest.mark.django_db
PATH = f"/r1/{SERVICE_ID}/services"
PERSONAL = {"user_id": "900517300017", "purpose": "application 7 for service x"}


@pytest.fixture(autouse=True)
def _log_stays_consistent():
    """Whatever a test sends, answered or refused, the message log agrees with what was signed
    (no false alarm from real traffic: logcheck.py) and seals completely."""
    yield
    from qyzmet.exchange.messagelog import message_log_seal, message_log_verify

    result = message_log_verify()
    assert result.ok, result.problems
    while message_log_seal() is not None:
        pass


def test_allowed_call_is_forwarded_signed_and_logged():
    service()
    grant()
    mc = machine_client()
    response = mc.call(Client(), PATH, **PERSONAL)
    assert response.status_code == 200
    assert isinstance(json.loads(response.content), dict | list)
    request_id = response[headers.REQUEST_ID]
    assert len(request_id) == 32
    reply = gateway.Reply(response.status_code, dict(response.headers), response.content)
    assert gateway.reply_verify(reply=reply, request_hash=response[headers.REQUEST_HASH],
                                message_id=response[headers.MESSAGE_ID])  # fmt: skip
    # The reply's body changed in transit no longer verifies.
    reply.body = reply.body + b" "
    assert not gateway.reply_verify(reply=reply, request_hash=response[headers.REQUEST_HASH],
                                    message_id=response[headers.MESSAGE_ID])  # fmt: skip
    logged = list(MessageLogEntry.objects.filter(request_id=request_id).order_by("id"))
    assert [e.direction for e in logged] == ["request", "response"]
    assert logged[0].client == CLIENT_ID and logged[0].service == SERVICE_ID
    assert logged[0].purpose == PERSONAL["purpose"] and logged[1].status == 200


def test_request_hash_is_sha512_over_the_signed_request():
    service()
    grant()
    mc = machine_client()
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    response = Client().get(PATH, headers=h)
    signed = signing.request_string(
        method="GET", path=PATH, body=b"", client=CLIENT_ID, message_id=h[headers.MESSAGE_ID],
        user_id=PERSONAL["user_id"], purpose=h[headers.PURPOSE],
        timestamp=h[headers.TIMESTAMP],
    )  # fmt: skip
    assert response[headers.REQUEST_HASH] == signing.request_hash(signed)


@pytest.mark.parametrize("alias", headers.CLIENT_ALIASES)
def test_every_client_header_name_is_accepted(alias):
    service()
    grant()
    mc = machine_client(algorithm="es256")
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    h[alias] = h.pop(headers.CLIENT)
    assert Client().get(PATH, headers=h).status_code == 200


def test_no_right_is_denied_and_revoking_denies_again():
    service()
    mc = machine_client()
    denied = mc.call(Client(), PATH, **PERSONAL)
    assert denied.status_code == 403
    assert error_type(denied) == "Server.ServerProxy.AccessDenied"
    assert denied[headers.ERROR] == "Server.ServerProxy.AccessDenied"
    grant()
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200
    assert access_right_revoke(actor=None, service_id=SERVICE_ID, client_id=CLIENT_ID,
                               managed_orgs=None)  # fmt: skip
    revoked = mc.call(Client(), PATH, **PERSONAL)
    assert revoked.status_code == 403
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"exchange.right.granted", "exchange.right.revoked"} <= actions


def test_right_of_one_client_does_not_serve_another():
    service()
    grant()
    other = machine_client(OTHER_ID)
    assert other.call(Client(), PATH, **PERSONAL).status_code == 403


def test_unknown_service_and_unknown_client():
    service()
    mc = machine_client()
    missing = mc.call(Client(), f"/r1/{PROVIDER_ID}/nosuch/x", **PERSONAL)
    assert (missing.status_code, error_type(missing)) == (404, "Server.ServerProxy.UnknownService")
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    h[headers.CLIENT] = "KZ/GOV/999999999999/ghost"
    ghost = Client().get(PATH, headers=h)
    assert (ghost.status_code, error_type(ghost)) == (403, "Server.ServerProxy.UnknownClient")
    bad = Client().get(PATH, headers={headers.CLIENT: "not an id"})
    assert (bad.status_code, error_type(bad)) == (400, "Client.InvalidClientIdentifier")


def test_personal_data_needs_user_and_purpose():
    service()
    grant()
    mc = machine_client()
    no_user = mc.call(Client(), PATH, purpose="x")
    assert (no_user.status_code, error_type(no_user)) == (400, "Client.MissingUserId")
    no_purpose = mc.call(Client(), PATH, user_id="900517300017")
    assert (no_purpose.status_code, error_type(no_purpose)) == (400, "Client.MissingPurpose")


def test_tampered_request_is_refused_and_logged():
    service()
    grant()
    mc = machine_client()
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    h[headers.PURPOSE] = headers.purpose_encode("something else")  # changed after signing
    response = Client().get(PATH, headers=h)
    assert (response.status_code, error_type(response)) == (
        401, "Server.ServerProxy.InvalidSignature")
    logged = MessageLogEntry.objects.get(request_id=response[headers.REQUEST_ID],
                                         direction="request")  # fmt: skip
    assert logged.outcome == "Server.ServerProxy.InvalidSignature"
    assert logged.signer.startswith("rejected:")


def test_signature_with_another_clients_key_is_refused():
    service()
    grant()
    mc = machine_client()
    other = machine_client(OTHER_ID)
    h = other.headers(method="GET", path=PATH, **PERSONAL)
    h[headers.CLIENT] = CLIENT_ID
    assert Client().get(PATH, headers=h).status_code == 401
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 200


def test_replayed_message_id_is_refused():
    service()
    grant()
    mc = machine_client()
    h = mc.headers(method="GET", path=PATH, **PERSONAL)
    assert Client().get(PATH, headers=h).status_code == 200
    again = Client().get(PATH, headers=h)
    assert (again.status_code, error_type(again)) == (401, "Server.ServerProxy.ReplayedMessage")


def test_stale_timestamp_is_refused():
    service()
    grant()
    mc = machine_client()
    old = mc.call(Client(), PATH, timestamp=int(time.time()) - 301, **PERSONAL)
    assert (old.status_code, error_type(old)) == (401, "Server.ServerProxy.InvalidTimestamp")
    assert mc.call(Client(), PATH, timestamp=int(time.time()) - 200, **PERSONAL).status_code == 200


def test_revoked_key_no_longer_authenticates():
    from qyzmet.exchange.services import client_key_revoke

    service()
    grant()
    mc = machine_client()
    client_key_revoke(actor=None, key_id=mc.signer.key_id)
    assert mc.call(Client(), PATH, **PERSONAL).status_code == 401


def test_provider_down_is_503_and_logged():
    service(base_url="http://127.0.0.1:9/nothing")
    grant()
    mc = machine_client()
    response = mc.call(Client(), PATH, **PERSONAL)
    assert response.status_code in (503, 504)
    assert response[headers.ERROR].startswith("Server.ServerProxy.")
    assert MessageLogEntry.objects.filter(request_id=response[headers.REQUEST_ID]).count() == 2


def test_directory_services():
    service()
    service(f"{PROVIDER_ID}/second")
    grant()
    subsystem(OTHER_ID)
    mc = machine_client()
    clients = json.loads(Client().get("/r1/listClients").content)["member"]
    ids = {c["id"].get("subsystem_code") for c in clients if c["id"]["object_type"] == "SUBSYSTEM"}
    assert {"testreg", "police", "tax"} <= ids
    methods = json.loads(mc.call(Client(), f"/r1/{PROVIDER_ID}/listMethods").content)
    assert sorted(s["service_code"] for s in methods["service"]) == ["catalog", "second"]
    allowed = json.loads(mc.call(Client(), f"/r1/{PROVIDER_ID}/allowedMethods").content)
    assert [s["service_code"] for s in allowed["service"]] == ["catalog"]
    assert allowed["service"][0]["object_type"] == "SERVICE"
    spec = mc.call(Client(), f"/r1/{PROVIDER_ID}/getOpenAPI", query={"serviceCode": "catalog"})
    assert json.loads(spec.content)["openapi"].startswith("3.")
    missing = mc.call(Client(), f"/r1/{PROVIDER_ID}/getOpenAPI", query={"serviceCode": "x"})
    assert missing.status_code == 404
    unsigned = Client().get(f"/r1/{PROVIDER_ID}/listMethods", headers={headers.CLIENT: CLIENT_ID,
                                                                       headers.MESSAGE_ID: "m1"})
    assert unsigned.status_code == 401
