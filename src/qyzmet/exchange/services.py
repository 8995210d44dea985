"""Changing the exchange's directory: access rights (managed by the provider, every change
audited), client keys, and loading a country pack's members, services and rights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import Problem
from qyzmet.identity import selectors as identity_selectors
from qyzmet.identity import services as identity_services

from . import conf, directory, signing
from .models import AccessRight, ClientKey, Member, Service, Subsystem
from .registry_descriptor import registry_descriptor
from .selectors import service_id_parse, subsystem_id_parse

KZ_PACK = Path(__file__).resolve().parent.parent / "countries" / "kz" / "exchange.yaml"
ADMIN_ROLES = frozenset({"head", "exchange_admin"})


def _unknown(what: str, value: str) -> Problem:
    return Problem(404, f"exchange.unknown_{what}", "Not found", f"No such {what}: {value}.")


def _check_manages(*, service: Service, managed_orgs: set[str] | None) -> None:
    """Only the provider's administrators change who may call its services (None = the
    system itself, e.g. the pack loader)."""
    if managed_orgs is None:
        return
    if service.subsystem.member.organisation_code not in managed_orgs:
        raise Problem(403, "exchange.not_provider", "Forbidden",
                      "Only the service provider's administrators manage its access rights.")


def _service_and_client(service_id: str, client_id: str) -> tuple[Service, Subsystem]:
    service = Service.objects.select_related("subsystem__member").filter(
        xroad_id=service_id.strip()).first()  # fmt: skip
    if service is None:
        raise _unknown("service", service_id)
    client = Subsystem.objects.filter(xroad_id=client_id.strip()).first()
    if client is None:
        raise _unknown("client", client_id)
    return service, client


@transaction.atomic
def access_right_grant(
    *, actor: Any | None, service_id: str, client_id: str, managed_orgs: set[str] | None
) -> tuple[AccessRight, bool]:
    """Let `client_id` (a subsystem) call `service_id`. Returns (right, created)."""
    service, client = _service_and_client(service_id, client_id)
    _check_manages(service=service, managed_orgs=managed_orgs)
    label = "system" if actor is None else (getattr(actor, "iin", "") or str(actor))
    right, created = AccessRight.objects.get_or_create(
        service=service, client=client, defaults={"granted_by": label}
    )
    if created:
        audit_record(
            actor=actor, kind="change", action="exchange.right.granted",
            object_type="exchange_service", object_id=service.xroad_id[:64],
            data={"service": service.xroad_id, "client": client.xroad_id},
        )  # fmt: skip
    return right, created


@transaction.atomic
def access_right_revoke(
    *, actor: Any | None, service_id: str, client_id: str, managed_orgs: set[str] | None
) -> bool:
    """Take the right away; the next call of that client is refused. False if it had none."""
    service, client = _service_and_client(service_id, client_id)
    _check_manages(service=service, managed_orgs=managed_orgs)
    deleted, _ = AccessRight.objects.filter(service=service, client=client).delete()
    if deleted:
        audit_record(
            actor=actor, kind="change", action="exchange.right.revoked",
            object_type="exchange_service", object_id=service.xroad_id[:64],
            data={"service": service.xroad_id, "client": client.xroad_id},
        )  # fmt: skip
    return bool(deleted)


def admin_orgs(*, user: Any) -> set[str]:
    """The organisations whose exchange settings this user may manage."""
    return {
        code
        for code, roles in identity_selectors.user_roles(user=user).items()
        if roles & ADMIN_ROLES
    }


@transaction.atomic
def client_key_register(*, actor: Any | None, subsystem_id: str, public_pem: str) -> ClientKey:
    """Register a public key for a client subsystem: its signed requests now authenticate."""
    subsystem = Subsystem.objects.filter(xroad_id=subsystem_id).first()
    if subsystem is None:
        raise _unknown("client", subsystem_id)
    public = signing.public_key_load(public_pem.strip() + "\n")
    kid = signing.key_id(public)
    key, created = ClientKey.objects.get_or_create(
        key_id=kid,
        defaults={"subsystem": subsystem, "algorithm": signing.algorithm_of(public),
                  "public_pem": public_pem.strip() + "\n"},
    )  # fmt: skip
    if key.subsystem_id != subsystem.pk:
        raise Problem(409, "exchange.key_in_use", "Conflict", "This key belongs to another client.")
    if created:
        audit_record(
            actor=actor, kind="security", action="exchange.key.registered",
            object_type="exchange_subsystem", object_id=subsystem.xroad_id[:64],
            data={"key_id": kid, "algorithm": key.algorithm},
        )  # fmt: skip
    return key


@transaction.atomic
def client_key_revoke(*, actor: Any | None, key_id: str) -> bool:
    updated = ClientKey.objects.filter(key_id=key_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if updated:
        audit_record(actor=actor, kind="security", action="exchange.key.revoked",
                     object_type="exchange_key", object_id=key_id)  # fmt: skip
    return bool(updated)


def client_signer(*, client_id: str) -> signing.Signer:
    """The private key this installation signs with as `client_id` (the platform's portal
    subsystem): from a file when configured, else kept in the database; its public half is
    registered for the subsystem on first use."""
    snapshot = directory.current_for_lookup()
    signer = signing.local_key(
        name=f"client:{client_id}",
        file_setting="QYZMET_EXCHANGE_CLIENT_KEY_FILE" if client_id == conf.platform_client()
        else "", snapshot=snapshot,
    )  # fmt: skip
    if signer.key_id not in snapshot.keys:
        client_key_register(
            actor=None, subsystem_id=client_id, public_pem=signing.public_pem(signer.key)
        )
    return signer


# --- loading a country pack ------------------------------------------------------------------


def _facts_openapi(registry: str, title: str) -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title}: facts", "version": "1.0"},
        "servers": [{"url": f"/data/{registry}/1.0/facts"}],
        "paths": {
            "/{fact}": {
                "get": {
                    "operationId": "factRead",
                    "summary": "One fact about one person or legal entity",
                    "parameters": [
                        {"name": "fact", "in": "path", "required": True,
                         "schema": {"type": "string"}},
                        {"name": "subject", "in": "query", "required": True,
                         "description": "IIN or BIN", "schema": {"type": "string",
                                                                 "pattern": "^[0-9]{12}$"}},
                        {"name": "fields", "in": "query", "required": False,
                         "description": "comma-separated keys to return",
                         "schema": {"type": "string"}},
                        {"name": "X-Road-UserId", "in": "header", "required": True,
                         "schema": {"type": "string"}},
                        {"name": "X-Road-Purpose", "in": "header", "required": True,
                         "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": {"description": "The fact",
                                "content": {"application/json": {"schema": {"type": "object"}}}},
                        "400": {"description": "Malformed subject or unknown field"},
                        "404": {"description": "No such subject or fact"},
                    },
                }
            }
        },
    }  # fmt: skip


def _data_openapi(registry: str, title: str) -> dict:
    """A summary of the GovStack Digital Registries Data API 1.3.0 operations the registry
    answers; the full description is the specification's (GovStackWorkingGroup/bb-digital-
    registries, api/)."""
    ops = {
        "/": ("get", "Search and list records"),
        "/create": ("post", "Create a record"),
        "/exists": ("post", "Does a record exist"),
        "/read": ("post", "Read one record"),
        "/update": ("put", "Update one record"),
        "/update-entries": ("put", "Update many records"),
        "/update-or-create": ("put", "Update or create a record"),
        "/delete": ("delete", "Delete a record"),
        "/{field}/read-value": ("get", "Read one field's value"),
        "/{id}/personalDataUsage": ("get", "Who used my personal data"),
    }
    paths = {p: {m: {"summary": s, "responses": {"200": {"description": "OK"}}}}
             for p, (m, s) in ops.items()}  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title}: GovStack Digital Registries Data API", "version": "1.3.0"},
        "servers": [{"url": f"/data/{registry}/1.0"}],
        "paths": paths,
    }


def _events_openapi(registry: str, title: str) -> dict:
    """A summary of the registry's change feed (CloudEvents 1.0, cursor-paged)."""
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{title}: change events", "version": "1.0"},
        "servers": [{"url": f"/data/{registry}/1.0/events"}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "eventsRead",
                    "summary": "The registry's change events after a cursor, oldest first",
                    "parameters": [
                        {"name": "after", "in": "query", "required": False,
                         "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer"}},
                        {"name": "type", "in": "query", "required": False,
                         "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "CloudEvents and the next cursor"}},
                }
            }
        },
    }  # fmt: skip


def registry_services(registry: str, title: str) -> list[dict[str, Any]]:
    """The gateway services a registry publishes, derived from its descriptor: `data` (the
    GovStack Data API) when it has `data_api`, `facts` always, `events` (its change feed) when
    it declares change events. KeyError (saying so) when no descriptor has this code: a pack
    must not publish a registry the platform does not know."""
    descriptor = registry_descriptor(registry)
    if descriptor is None:
        raise KeyError(f"no registry descriptor has the code {registry!r}")
    services: list[dict[str, Any]] = []
    if descriptor.data_api:
        services.append(
            {"code": "data", "base_url": f"/data/{registry}/1.0",
             "title": f"{registry}: GovStack Data API",
             "openapi": _data_openapi(registry, title)}
        )  # fmt: skip
    services.append(
        {"code": "facts", "base_url": f"/data/{registry}/1.0/facts",
         "title": f"{registry}: facts", "openapi": _facts_openapi(registry, title)}
    )  # fmt: skip
    if descriptor.change_events:
        services.append(
            {"code": "events", "base_url": f"/data/{registry}/1.0/events",
             "title": f"{registry}: change events",
             "personal_data": any(e.personal for e in descriptor.change_events),
             "openapi": _events_openapi(registry, title)}
        )  # fmt: skip
    return services


def _upsert(model, lookup: dict, values: dict) -> tuple[Any, bool]:
    """update_or_create that writes nothing when the row already matches (idempotent loads)."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), True
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for k in changed:
        setattr(row, k, values[k])
    if changed:
        row.save(update_fields=changed)
    return row, bool(changed)


class PackError(ValueError):
    """The pack file is wrong; the message names the file and the place."""


@transaction.atomic
def exchange_sync(*, actor: Any | None = None, path: Path | None = None) -> dict[str, int]:
    """Load members, subsystems, services and rights from a country pack's exchange.yaml.
    Idempotent: a second run changes nothing. Rights in the file are granted; rights granted
    later by providers are kept (the file is the starting point, the provider owns the rest).
    Organisations the members name are created in the identity app when missing."""
    path = path or KZ_PACK
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    instance = str(data.get("instance", "KZ"))
    counts = {"members": 0, "subsystems": 0, "services": 0, "rights": 0, "organisations": 0}
    events_of: list[str] = []  # the `events` services published, by service id
    known_orgs = {o.code for o in identity_selectors.organisation_list()}
    for i, m in enumerate(data.get("members", [])):
        where = f"{path}: /members/{i}"
        try:
            code, klass = str(m["code"]), str(m["class"])
            names = {k: str(v) for k, v in (m.get("name") or {}).items()}
        except (KeyError, TypeError) as exc:
            raise PackError(f"{where}: {exc} is required") from exc
        org_code = str(m.get("organisation", ""))
        if org_code and org_code not in known_orgs:
            identity_services.organisation_upsert(actor=actor, code=org_code, bin=code,
                                                  names=names)  # fmt: skip
            known_orgs.add(org_code)
            counts["organisations"] += 1
        member, changed = _upsert(
            Member, {"instance": instance, "member_class": klass, "code": code},
            {"organisation_code": org_code, "name_kk": names.get("kk", ""),
             "name_ru": names.get("ru", ""), "name_en": names.get("en", "")},
        )  # fmt: skip
        counts["members"] += changed
        for j, s in enumerate(m.get("subsystems", [])):
            if "code" not in s:
                raise PackError(f"{where}/subsystems/{j}: code is required")
            sub, changed = _upsert(
                Subsystem, {"member": member, "code": str(s["code"])},
                {"xroad_id": f"{member.xroad_id}/{s['code']}"},
            )  # fmt: skip
            counts["subsystems"] += changed
            services = list(s.get("services", []))
            registry = s.get("registry")
            if registry:
                try:
                    services += registry_services(str(registry), names.get("en", code))
                except KeyError as exc:
                    raise PackError(f"{where}/subsystems/{j}/registry: {exc.args[0]}") from exc
                if any(svc["code"] == "events" for svc in services):
                    events_of.append(f"{sub.xroad_id}/events")
            for k, svc in enumerate(services):
                if "code" not in svc:
                    raise PackError(f"{where}/subsystems/{j}/services/{k}: code is required")
                _svc, changed = _upsert(
                    Service, {"subsystem": sub, "code": str(svc["code"])},
                    {"xroad_id": f"{sub.xroad_id}/{svc['code']}",
                     "title": str(svc.get("title", "")), "base_url": str(svc.get("base_url", "")),
                     "personal_data": bool(svc.get("personal_data", True)),
                     "openapi": svc.get("openapi") or {}},
                )  # fmt: skip
                counts["services"] += changed
    # In-process consumers read the change feeds as the platform: it may read every one.
    rights = list(data.get("rights", []))
    if events_of and Subsystem.objects.filter(xroad_id=conf.platform_client()).exists():
        rights.append({"client": conf.platform_client(), "services": events_of})
    for i, r in enumerate(rights):
        client = str(r.get("client", ""))
        if subsystem_id_parse(client) is None:
            raise PackError(f"{path}: /rights/{i}/client: not a subsystem id: {client!r}")
        for k, service_id in enumerate(r.get("services", [])):
            if service_id_parse(str(service_id)) is None:
                raise PackError(f"{path}: /rights/{i}/services/{k}: not a service id")
            try:
                _right, created = access_right_grant(
                    actor=actor, service_id=str(service_id), client_id=client, managed_orgs=None
                )
            except Problem as exc:
                raise PackError(f"{path}: /rights/{i}/services/{k}: {exc.detail}") from exc
            counts["rights"] += created
    # The platform's client key must exist before the first fetch: created inside a caller's
    # transaction, a gateway in another process would not see it yet.
    if Subsystem.objects.filter(xroad_id=conf.platform_client()).exists():
        client_signer(client_id=conf.platform_client())
    signing.gateway_signer()
    return counts
