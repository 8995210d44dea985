"""Publishing budgets: an officer or head of an agency uploads a Fiscal Data Package for a
fiscal year; when it is valid it becomes that agency's newest version for that year, with its
lines stored as rows, in one transaction with its audit row. Nothing is stored from a package
with a single problem."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.text import slugify

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import forbidden, not_found
from qyzmet.identity.selectors import organisation_get, user_roles

from . import fdp
from .models import BudgetLine, BudgetPublisher, BudgetVersion

PUBLISHER_ROLES = frozenset({"officer", "head"})
_NAME_TAIL = "-of-the-republic-of-kazakhstan"


def publishing_organisations(*, user: Any) -> list[str]:
    """Codes of the agencies whose budgets the user may publish (officers and heads)."""
    return sorted(code for code, roles in user_roles(user=user).items() if roles & PUBLISHER_ROLES)


def publisher_ensure(*, organisation_code: str) -> BudgetPublisher:
    """The agency's publisher row, with a public slug made from its English name."""
    found = BudgetPublisher.objects.filter(organisation_code=organisation_code).first()
    if found is not None:
        return found
    organisation = organisation_get(code=organisation_code)
    if organisation.kind != "agency":
        raise not_found("organisation")
    base = slugify(organisation.names.get("en") or "")
    base = (base[: -len(_NAME_TAIL)] if base.endswith(_NAME_TAIL) else base)[:70].strip("-")
    base = base or "agency"
    slug, n = base, 1
    while BudgetPublisher.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    try:
        with transaction.atomic():
            return BudgetPublisher.objects.create(organisation_code=organisation_code, slug=slug)
    except IntegrityError:  # another upload created it at the same moment
        return BudgetPublisher.objects.get(organisation_code=organisation_code)


def _known_administrative_code(publisher: BudgetPublisher) -> str:
    line = (
        BudgetVersion.objects.filter(publisher=publisher)
        .exclude(administrative_code="")
        .order_by("-created_at")
        .values_list("administrative_code", flat=True)
        .first()
    )
    return line or ""


def budget_publish(
    *,
    actor: Any | None,
    organisation_code: str,
    uploads: list[tuple[str, bytes]],
    system: bool = False,
) -> BudgetVersion:
    """Validate and store an uploaded Fiscal Data Package as the agency's next version for its
    fiscal year. `actor` must be an officer or head of the agency (object-level check), unless
    `system` (the demo loader). Raises `fdp.PackageInvalid` with every problem."""
    if not system and organisation_code not in publishing_organisations(user=actor):
        raise forbidden("Only the agency's officers and heads publish its budget.")
    publisher = publisher_ensure(organisation_code=organisation_code)
    package = fdp.package_read(
        uploads, known_administrative_code=_known_administrative_code(publisher)
    )
    archive = package.zip_bytes()
    with transaction.atomic():
        # Lock the publisher row so that two uploads for the same year number in turn.
        BudgetPublisher.objects.select_for_update().filter(pk=publisher.pk).first()
        last = BudgetVersion.objects.filter(
            publisher=publisher, fiscal_year=package.fiscal_year
        ).aggregate(n=Max("number"))["n"]
        version = BudgetVersion.objects.create(
            publisher=publisher,
            fiscal_year=package.fiscal_year,
            number=(last or 0) + 1,
            title=package.title,
            administrative_code=package.administrative_code,
            package=archive,
            sha256=hashlib.sha256(archive).hexdigest(),
            uploaded_by_id=getattr(actor, "pk", None),
            line_count=len(package.lines),
        )
        BudgetLine.objects.bulk_create(
            BudgetLine(
                version=version,
                programme_code=line.programme_code,
                programme_name_kk=line.programme_name_kk[:500],
                programme_name_ru=line.programme_name_ru[:500],
                programme_name_en=line.programme_name_en[:500],
                subprogramme_code=line.subprogramme_code,
                subprogramme_name_kk=line.subprogramme_name_kk[:500],
                subprogramme_name_ru=line.subprogramme_name_ru[:500],
                functional_code=line.functional_code,
                phase=phase,
                amount_tiyn=tiyn,
            )
            for line in package.lines
            for phase, tiyn in line.amounts.items()
        )
        audit_record(
            actor=actor if getattr(actor, "pk", None) else None,
            kind="change",
            action="budget.publish",
            object_type="budget_version",
            object_id=version.pk,
            data={"organisation": organisation_code, "fiscal_year": package.fiscal_year,
                  "version": version.number, "sha256": version.sha256,
                  "lines": len(package.lines)},
        )  # fmt: skip
    return version
