"""The vehicle registry declares itself: its fact, label and change events.

Why here: everything else is derived from this one declaration; see docs/registries.md.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qyzmet.registries.descriptor import (
    ANY,
    ChangeEventType,
    FactSpec,
    RegistryDescriptor,
    registry_register,
)


@registry_register
class VehiclesRegistry(RegistryDescriptor):
    code = "vehicles"
    label = pgettext_lazy("registry", "vehicle register")
    change_events = (
        ChangeEventType(
            "kz.gov.registries.vehicles.vehicle_reregistered", "iin",
            _("A vehicle was re-registered to a new owner"),
            data_fields=("vin", "plate"),
        ),
    )  # fmt: skip

    def facts(self) -> tuple[FactSpec, ...]:
        from qyzmet.registries.vehicles import selectors as veh

        return (
            FactSpec("vehicles_of_person", "iin", {"vehicles": ANY},
                     lambda s: veh.vehicles_of_person_fact(iin=s), label=_("Your vehicles")),
        )  # fmt: skip
