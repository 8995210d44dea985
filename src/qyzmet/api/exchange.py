"""The exchange directory and the providers' management of access rights.

Members and services are listed for any signed-in user (the directory is no secret: X-Road's
listClients is public too). Access rights are read and changed only by administrators (`head`
or `exchange_admin`) of the organisation that provides the service; every change is audited
by the service layer."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from qyzmet.core.problem import Problem
from qyzmet.exchange import selectors, services
from qyzmet.identity.auth import USER_AUTH

from .responses import problems

router = Router(tags=["exchange"], auth=USER_AUTH)
# An X-Road identifier: instance/class/member/subsystem[/service], each part a short code.
XROAD_ID_MAX = 300


class SubsystemOut(Schema):
    id: str
    member: str
    name: str


class ServiceOut(Schema):
    id: str
    title: str
    provider: str
    personal_data: bool


class RightIn(Schema):
    service: str = Field(max_length=XROAD_ID_MAX, description="The service's X-Road id")
    client: str = Field(max_length=XROAD_ID_MAX, description="The client subsystem's X-Road id")


class RightOut(Schema):
    service: str
    client: str
    granted_at: str
    granted_by: str


@router.get("/subsystems", response=list[SubsystemOut], summary="Members and subsystems")
def subsystems_list(request: HttpRequest):
    return [
        {"id": s.xroad_id, "member": s.member.xroad_id,
         "name": s.member.name_en or s.member.name_ru or s.member.name_kk}
        for s in selectors.subsystem_list()
    ]  # fmt: skip


@router.get("/services", response=list[ServiceOut], summary="Services the registries publish")
def services_list(request: HttpRequest):
    return [
        {"id": s.xroad_id, "title": s.title, "provider": s.subsystem.xroad_id,
         "personal_data": s.personal_data}
        for s in selectors.service_list()
    ]  # fmt: skip


def _managed(request: HttpRequest) -> set[str]:
    orgs = services.admin_orgs(user=request.user)
    if not orgs:
        raise Problem(403, "exchange.not_provider", "Forbidden",
                      "Only administrators of a service provider manage access rights.")
    return orgs


@router.get(
    "/rights",
    response={200: list[RightOut], **problems(403)},
    summary="Access rights to my services",
)
def rights_list(request: HttpRequest, service: str = Query("", max_length=XROAD_ID_MAX)):
    orgs = _managed(request)
    out = []
    for svc in selectors.service_list(provider_org_codes=orgs):
        if service and svc.xroad_id != service:
            continue
        out += [{"service": svc.xroad_id, "client": r.client.xroad_id,
                 "granted_at": r.granted_at.isoformat(), "granted_by": r.granted_by}
                for r in selectors.rights_of_service(service=svc)]  # fmt: skip
    return out


@router.post(
    "/rights",
    response={200: RightOut, 201: RightOut, **problems(403, 404)},
    summary="Grant an access right",
)
def right_grant(request: HttpRequest, payload: RightIn):
    right, created = services.access_right_grant(
        actor=request.user, service_id=payload.service, client_id=payload.client,
        managed_orgs=_managed(request),
    )  # fmt: skip
    body = {"service": payload.service, "client": payload.client,
            "granted_at": right.granted_at.isoformat(), "granted_by": right.granted_by}
    return Status(201 if created else 200, body)


@router.post(
    "/rights/revoke",
    response={204: None, **problems(403, 404)},
    summary="Revoke an access right",
)
def right_revoke(request: HttpRequest, payload: RightIn):
    services.access_right_revoke(
        actor=request.user, service_id=payload.service, client_id=payload.client,
        managed_orgs=_managed(request),
    )  # fmt: skip
    return Status(204, None)
