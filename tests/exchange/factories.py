"""Exchange test helpers: a provider with a service, a client with a key, signed calls."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.test import Client

from qyzmet.exchange import headers, signing
from qyzmet.exchange.models import Member, Service, Subsystem
from qyzmet.exchange.services import access_right_grant, client_key_register

PROVIDER_ID = "KZ/GOV/990340020029/testreg"
SERVICE_ID = f"{PROVIDER_ID}/catalog"
CLIENT_ID = "KZ/GOV/990340001012/police"
OTHER_ID = "KZ/GOV/990340001052/tax"


def subsystem(xroad_id: str, *, organisation: str = "") -> Subsystem:
    instance, klass, code, sub = xroad_id.split("/")
    member, _ = Member.objects.get_or_create(
        instance=instance, member_class=klass, code=code,
        defaults={"organisation_code": organisation, "name_en": f"Member {code}"},
    )  # fmt: skip
    return Subsystem.objects.get_or_create(member=member, code=sub,
                                           defaults={"xroad_id": xroad_id})[0]  # fmt: skip


def service(service_id: str = SERVICE_ID, *, base_url: str = "/api/v1/catalog",
            personal_data: bool = True, organisation: str = "kz-gov4c") -> Service:  # fmt: skip
    provider_id, code = service_id.rsplit("/", 1)
    sub = subsystem(provider_id, organisation=organisation)
    return Service.objects.create(
        subsystem=sub, code=code, xroad_id=service_id, base_url=base_url,
        personal_data=personal_data, openapi={"openapi": "3.0.3", "info": {"title": code}},
    )  # fmt: skip


@dataclass
class MachineClient:
    client_id: str
    signer: signing.Signer

    def headers(self, *, method: str, path: str, body: bytes = b"", user_id: str = "",
                purpose: str = "", message_id: str | None = None,
                timestamp: int | None = None) -> dict[str, str]:  # fmt: skip
        message_id = message_id or uuid.uuid4().hex
        stamp = str(int(timestamp if timestamp is not None else time.time()))
        purpose_raw = headers.purpose_encode(purpose) if purpose else ""
        signed = signing.request_string(
            method=method, path=path, body=body, client=self.client_id, message_id=message_id,
            user_id=user_id, purpose=purpose_raw, timestamp=stamp,
        )  # fmt: skip
        return {
            headers.CLIENT: self.client_id, headers.MESSAGE_ID: message_id,
            headers.TIMESTAMP: stamp, headers.KEY_ID: self.signer.key_id,
            headers.SIGNATURE: self.signer.sign(signed), headers.USER_ID: user_id,
            headers.PURPOSE: purpose_raw,
        }  # fmt: skip

    def call(self, http: Client, path: str, *, query: dict | None = None, method: str = "get",
             body: bytes = b"", **kw):  # fmt: skip
        qs = urlencode(query or {})
        full = path + (f"?{qs}" if qs else "")
        h = self.headers(method=method, path=full, body=body, **kw)
        return getattr(http, method)(full, data=body or None, headers=h,
                                     content_type="application/json")  # fmt: skip


def machine_client(client_id: str = CLIENT_ID, *, algorithm: str = "ed25519") -> MachineClient:
    subsystem(client_id, organisation="kz-mvd")
    key = signing.key_generate(algorithm)
    client_key_register(actor=None, subsystem_id=client_id, public_pem=signing.public_pem(key))
    return MachineClient(client_id, signing.Signer(key, signing.key_id(key.public_key())))


def grant(service_id: str = SERVICE_ID, client_id: str = CLIENT_ID) -> None:
    subsystem(client_id)
    access_right_grant(actor=None, service_id=service_id, client_id=client_id, managed_orgs=None)


def error_type(response) -> str:
    return json.loads(response.content)["type"]
