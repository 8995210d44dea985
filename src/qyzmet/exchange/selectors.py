"""Reading the exchange's directory: members, subsystems, services, rights, keys, the log."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import signing
from .models import AccessRight, ClientKey, Member, MessageLogEntry, Service, Subsystem

_CODE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}"
SUBSYSTEM_RE = re.compile(rf"^({_CODE})/({_CODE})/({_CODE})/({_CODE})$")
SERVICE_RE = re.compile(rf"^({_CODE})/({_CODE})/({_CODE})/({_CODE})/({_CODE})$")


@dataclass(frozen=True)
class XRoadId:
    instance: str
    member_class: str
    member_code: str
    subsystem_code: str
    service_code: str = ""

    @property
    def subsystem(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.member_code}/{self.subsystem_code}"

    def as_json(self, object_type: str) -> dict[str, str]:
        """The X-Road JSON shape of an identifier (`object_type` MEMBER, SUBSYSTEM, SERVICE)."""
        out = {"object_type": object_type, "xroad_instance": self.instance,
               "member_class": self.member_class, "member_code": self.member_code}  # fmt: skip
        if object_type in ("SUBSYSTEM", "SERVICE"):
            out["subsystem_code"] = self.subsystem_code
        if object_type == "SERVICE":
            out["service_code"] = self.service_code
        return out


def subsystem_id_parse(value: str) -> XRoadId | None:
    match = SUBSYSTEM_RE.match((value or "").strip())
    return XRoadId(*match.groups()) if match else None


def service_id_parse(value: str) -> XRoadId | None:
    match = SERVICE_RE.match((value or "").strip())
    return XRoadId(*match.groups()) if match else None


def subsystem_find(*, xroad_id: str) -> Subsystem | None:
    return Subsystem.objects.select_related("member").filter(xroad_id=xroad_id).first()


def service_find(*, xroad_id: str) -> Service | None:
    return (
        Service.objects.select_related("subsystem__member").filter(xroad_id=xroad_id).first()
    )


def client_key_find(*, key_id: str) -> ClientKey | None:
    """An active key and its subsystem (one query on the hot path)."""
    return (
        ClientKey.objects.select_related("subsystem")
        .filter(key_id=key_id, revoked_at__isnull=True)
        .first()
    )


def right_exists(*, service_pk: int, client_pk: int) -> bool:
    return AccessRight.objects.filter(service_id=service_pk, client_id=client_pk).exists()


def member_list() -> list[Member]:
    return list(
        Member.objects.prefetch_related("subsystems").order_by(
            "instance", "member_class", "code"
        )
    )


def clients_list(*, instance: str = "") -> list[dict]:
    """listClients: every member and subsystem, in X-Road's JSON shape."""
    out: list[dict] = []
    members = member_list()
    for m in members:
        if instance and m.instance != instance:
            continue
        name = m.name_en or m.name_ru or m.name_kk
        out.append({"id": XRoadId(m.instance, m.member_class, m.code, "").as_json("MEMBER"),
                    "name": name})  # fmt: skip
        for s in sorted(m.subsystems.all(), key=lambda s: s.code):
            out.append({"id": XRoadId(m.instance, m.member_class, m.code, s.code)
                        .as_json("SUBSYSTEM"), "name": name})  # fmt: skip
    return out


def _service_json(service: Service) -> dict:
    ident = service_id_parse(service.xroad_id)
    assert ident is not None
    return {**ident.as_json("SERVICE"), "service_type": "OPENAPI"}


def methods_list(*, provider: Subsystem) -> list[dict]:
    return [_service_json(s) for s in provider.services.order_by("code")]


def methods_allowed(*, provider: Subsystem, client: Subsystem) -> list[dict]:
    services = provider.services.filter(rights__client=client).order_by("code")
    return [_service_json(s) for s in services]


def service_list(*, provider_org_codes: set[str] | None = None) -> list[Service]:
    """Every service (or those of members belonging to these organisations), with provider."""
    qs = Service.objects.select_related("subsystem__member").order_by("xroad_id")
    if provider_org_codes is not None:
        qs = qs.filter(subsystem__member__organisation_code__in=provider_org_codes)
    return list(qs)


def rights_of_service(*, service: Service) -> list[AccessRight]:
    return list(service.rights.select_related("client").order_by("client__xroad_id"))


def subsystem_list() -> list[Subsystem]:
    return list(Subsystem.objects.select_related("member").order_by("xroad_id"))


def registry_service_id(*, registry: str, service_code: str = "facts") -> str | None:
    """The service id a registry publishes `service_code` under (its subsystem code is the
    registry's name, e.g. population → KZ/GOV/<BIN>/population/facts)."""
    from . import directory

    found = directory.current_for_lookup().registry_service(registry, service_code)
    return found or directory.current().registry_service(registry, service_code)


def message_log_entries(*, request_id: str = "", limit: int = 100) -> list[MessageLogEntry]:
    qs = MessageLogEntry.objects.order_by("-id")
    if request_id:
        qs = qs.filter(request_id=request_id)
    return list(qs[:limit])


def keys_published() -> dict:
    """The public keys an outside party needs to check what this gateway and its members sign:
    the gateway's (it signs every reply, the message-log seals and archives, and each hop to a
    remote provider) and every client subsystem's registered key (they sign their requests).
    Revoked client keys are listed apart, with the time of revocation: messages signed before
    it still verify with them. `key_id` is the `X-Road-Key-Id` a signed message carries."""
    gateway = signing.gateway_signer()
    members, revoked = [], []
    for key in ClientKey.objects.select_related("subsystem__member").order_by(
            "subsystem__xroad_id", "created_at", "key_id"):  # fmt: skip
        entry = {
            "key_id": key.key_id, "algorithm": key.algorithm, "public_key": key.public_pem,
            "subsystem": key.subsystem.xroad_id, "member": key.subsystem.member.xroad_id,
            "created_at": key.created_at.isoformat(),
        }  # fmt: skip
        if key.revoked_at is None:
            members.append(entry)
        else:
            revoked.append({**entry, "revoked_at": key.revoked_at.isoformat()})
    return {
        "format": "qyzmet-exchange-keys/1",
        "key_id": "first 32 hex digits of SHA-256 over the key's DER SubjectPublicKeyInfo",
        "signed_strings": [signing.REQUEST_TAG, signing.RESPONSE_TAG],
        "gateway": {
            "key_id": gateway.key_id,
            "algorithm": signing.algorithm_of(gateway.key),
            "public_key": signing.public_pem(gateway.key),
            "signs": ["responses", "message-log seals", "message-log archives", "forwarded calls"],
        },
        "keys": members,
        "revoked": revoked,
    }
