"""Facts the legal entities registry answers, as plain JSON-serialisable dicts. Read them
through `qyzmet.exchange.registry_client`, which validates the subject and audits the read."""

from __future__ import annotations

from typing import Any

from .models import Entity, Founder


def entity_fact(*, bin: str) -> dict[str, Any] | None:
    """An entity by BIN (an individual entrepreneur by IIN), with its founders. Two queries."""
    entity = Entity.objects.prefetch_related("founders").filter(bin=bin).first()
    if entity is None:
        return None
    return {
        "bin": entity.bin,
        "name": entity.name,
        "kind": entity.kind,
        "registered_on": entity.registered_on.isoformat(),
        "head_iin": entity.head_iin,
        "address": entity.address,
        "status": entity.status,
        "activity_code": entity.activity_code,
        "founders": [
            {"iin": f.iin, "share": str(f.share)}
            for f in sorted(entity.founders.all(), key=lambda f: (-f.share, f.iin))
        ],
    }


def entities_of_person_fact(*, iin: str) -> dict[str, Any]:
    """Entities the person heads or founded, one row per role. Two queries.

    The registry knows entities, not people: an IIN that heads nothing gets an empty list."""
    rows: list[dict[str, Any]] = [
        {"bin": e.bin, "name": e.name, "kind": e.kind, "status": e.status, "role": "head"}
        for e in Entity.objects.filter(head_iin=iin).order_by("bin")
    ]
    rows += [
        {
            "bin": f.entity.bin,
            "name": f.entity.name,
            "kind": f.entity.kind,
            "status": f.entity.status,
            "role": "founder",
        }
        for f in Founder.objects.select_related("entity").filter(iin=iin).order_by("entity__bin")
    ]
    return {"entities": rows}


def ie_status_fact(*, iin: str) -> dict[str, Any]:
    """Whether the person is an active individual entrepreneur. One query.

    An IE is registered under the person's own IIN, so this is a lookup by `bin = iin`."""
    entity = Entity.objects.filter(bin=iin, kind=Entity.Kind.IE).first()
    active = entity is not None and entity.status == Entity.Status.ACTIVE
    return {
        "registered": active,
        "bin": entity.bin if entity else None,
        "name": entity.name if entity else None,
        "registered_on": entity.registered_on.isoformat() if entity else None,
        "status": entity.status if entity else None,
    }
