"""Reading people, organisations and roles. Other apps ask here, never the models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qyzmet.core.problem import not_found

from .models import Membership, Organisation, User

_ROLES_CACHE = "_qyzmet_memberships"


@dataclass(frozen=True)
class OrganisationDTO:
    code: str
    bin: str
    kind: str
    names: dict[str, str] = field(default_factory=dict)

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names.get("en") or self.code


def _names(org: Organisation) -> dict[str, str]:
    return {"kk": org.name_kk, "ru": org.name_ru, "en": org.name_en}


def _memberships(user: Any) -> list[tuple[str, str, str]]:
    """(organisation code, organisation kind, role) for the user: one query, then cached on the
    user object, which lives as long as the request does."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return []
    cached = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user_id=user.pk).values_list(
                "organisation__code", "organisation__kind", "role"
            )
        )
        setattr(user, _ROLES_CACHE, cached)
    return cached


def user_roles(*, user: Any) -> dict[str, set[str]]:
    """Organisation code → the roles the user holds there (`officer`, `head`, ...)."""
    roles: dict[str, set[str]] = {}
    for code, _kind, role in _memberships(user):
        roles.setdefault(code, set()).add(role)
    return roles


def user_agency_codes(*, user: Any) -> set[str]:
    """Codes of the government agencies the user works for (any role)."""
    return {code for code, kind, _ in _memberships(user) if kind == Organisation.Kind.AGENCY}


def user_has_role(*, user: Any, organisation_code: str, roles: set[str] | None = None) -> bool:
    held = user_roles(user=user).get(organisation_code, set())
    return bool(held) if roles is None else bool(held & roles)


def user_get(*, user_id: int) -> User:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise not_found("user")
    return user


def user_get_by_iin(*, iin: str) -> User | None:
    return User.objects.filter(iin=iin).first()


def users_by_iins(*, iins: list[str] | set[str]) -> dict[str, User]:
    """Accounts by IIN, with their memberships loaded (`user_agency_codes` asks no more):
    two queries however many people, for pages that name many readers."""
    users = {u.iin: u for u in User.objects.filter(iin__in=[i for i in iins if i])}
    held: dict[int, list[tuple[str, str, str]]] = {u.pk: [] for u in users.values()}
    rows = Membership.objects.filter(user_id__in=list(held)).values_list(
        "user_id", "organisation__code", "organisation__kind", "role"
    )
    for user_id, code, kind, role in rows if held else []:
        held[user_id].append((code, kind, role))
    for user in users.values():
        setattr(user, _ROLES_CACHE, held[user.pk])
    return users


def user_ids_by_phone(*, phone: str, limit: int = 2) -> list[int]:
    """Accounts registered with this phone number (phones are not unique: look at the count)."""
    if not phone:
        return []
    return list(User.objects.filter(phone=phone).values_list("pk", flat=True)[:limit])


def organisation_get(*, code: str) -> OrganisationDTO:
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        raise not_found("organisation")
    return OrganisationDTO(code=org.code, bin=org.bin, kind=org.kind, names=_names(org))


def organisation_names(*, codes: list[str] | set[str] | tuple[str, ...]) -> dict[str, dict]:
    """Names in kk/ru/en for many organisations in one query; unknown codes are left out."""
    return {org.code: _names(org) for org in Organisation.objects.filter(code__in=list(codes))}


def organisation_list(*, kind: str | None = None) -> list[OrganisationDTO]:
    qs = Organisation.objects.order_by("code")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return [OrganisationDTO(code=o.code, bin=o.bin, kind=o.kind, names=_names(o)) for o in qs]


def organisation_member_ids(*, code: str, roles: set[str]) -> list[int]:
    """Ids of the active people holding one of `roles` in the organisation (e.g. its heads, to
    escalate an overdue case to)."""
    return list(
        Membership.objects.filter(
            organisation__code=code, role__in=sorted(roles), user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )
