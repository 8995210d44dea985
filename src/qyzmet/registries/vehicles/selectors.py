"""Facts the vehicle registry answers, as plain JSON-serialisable dicts. Read them through
`qyzmet.exchange.registry_client` (or the GovStack Data API), which validates the subject and
audits."""

from __future__ import annotations

from typing import Any

from .models import Vehicle


def vehicle_dict(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "vin": vehicle.vin,
        "plate": vehicle.plate,
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "colour": vehicle.colour,
        "category": vehicle.category,
        "registered_on": vehicle.registered_on.isoformat(),
        "status": vehicle.status,
    }


def vehicles_of_person_fact(*, iin: str) -> dict[str, Any]:
    """Vehicles registered to the person now (deregistered ones are left out), by plate.
    One query. The registry knows vehicles, not people: an owner of nothing gets an empty list."""
    rows = Vehicle.objects.filter(owner_iin=iin, status=Vehicle.Status.REGISTERED).order_by("plate")
    return {"vehicles": [vehicle_dict(v) for v in rows]}
