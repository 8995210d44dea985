"""The vehicle registry's own writes, each publishing its change event in the same transaction
(`qyzmet.registries.change_events`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from qyzmet.registries.change_events.services import change_publish

from .models import Vehicle

REGISTRY = "vehicles"
VEHICLE_REREGISTERED = "kz.gov.registries.vehicles.vehicle_reregistered"


class VehicleWriteRefused(ValueError):
    """No registered vehicle with this VIN."""


@transaction.atomic
def vehicle_reregister(*, actor: Any | None, vin: str, new_owner_iin: str, on: dt.date) -> Vehicle:
    """Re-register a vehicle to a new owner (a sale): the event's subject is the new owner, who
    is who a proactive service (insurance, tax) serves next; the previous owner is not named."""
    vehicle = (
        Vehicle.objects.select_for_update()
        .filter(vin=vin, status=Vehicle.Status.REGISTERED)
        .first()
    )
    if vehicle is None:
        raise VehicleWriteRefused("no registered vehicle with this VIN")
    vehicle.owner_iin = new_owner_iin
    vehicle.registered_on = on
    vehicle.save(update_fields=["owner_iin", "registered_on"])
    change_publish(
        actor=actor, registry=REGISTRY, type=VEHICLE_REREGISTERED, subject=new_owner_iin,
        data={"vin": vehicle.vin, "plate": vehicle.plate},
    )  # fmt: skip
    return vehicle
