"""The legal entities registry's own writes, each publishing its change event in the same
transaction (`qyzmet.registries.change_events`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from qyzmet.registries.change_events.services import change_publish

from .models import Entity, Founder

REGISTRY = "legal_entities"
COMPANY_REGISTERED = "kz.gov.registries.legal_entities.company_registered"


@transaction.atomic
def company_register(
    *,
    actor: Any | None,
    bin: str,
    name: str,
    kind: str,
    registered_on: dt.date,
    head_iin: str,
    address: str,
    activity_code: str,
    founders: tuple[tuple[str, Decimal], ...] = (),
) -> Entity:
    """Register a company with its founders (IIN, share). The event carries the company's
    public record only: not the head's or the founders' IINs (it is not personal data)."""
    entity = Entity.objects.create(
        bin=bin, name=name, kind=kind, registered_on=registered_on, head_iin=head_iin,
        address=address, activity_code=activity_code,
    )  # fmt: skip
    Founder.objects.bulk_create(Founder(entity=entity, iin=i, share=s) for i, s in founders)
    change_publish(
        actor=actor, registry=REGISTRY, type=COMPANY_REGISTERED, subject=bin,
        data={"name": name, "kind": kind, "registered_on": registered_on.isoformat()},
    )  # fmt: skip
    return entity
