"""Facts the real estate registry answers, as plain JSON-serialisable dicts. Read them through
`qyzmet.exchange.registry_client` (or the GovStack Data API), which validates the subject and
audits."""

from __future__ import annotations

from typing import Any

from .models import Ownership


def properties_of_person_fact(*, iin: str) -> dict[str, Any]:
    """Properties the person holds a share of, by cadastral number. One query."""
    rows = (
        Ownership.objects.select_related("property")
        .filter(owner_iin=iin)
        .order_by("property__cadastral_number")
    )
    return {
        "properties": [
            {
                "cadastral_number": o.property.cadastral_number,
                "kind": o.property.kind,
                "address": o.property.address,
                "area": str(o.property.area),
                "share": str(o.share),
                "since": o.since.isoformat(),
            }
            for o in rows
        ]
    }
