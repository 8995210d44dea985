"""The real estate registry (legal cadastre) declares itself: its fact and label.

Why here: everything else is derived from this one declaration; see docs/registries.md.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qyzmet.registries.descriptor import ANY, FactSpec, RegistryDescriptor, registry_register


@registry_register
class RealEstateRegistry(RegistryDescriptor):
    code = "real_estate"
    label = pgettext_lazy("registry", "real estate register")

    def facts(self) -> tuple[FactSpec, ...]:
        from qyzmet.registries.real_estate import selectors as estate

        return (
            FactSpec("properties_of_person", "iin", {"properties": ANY},
                     lambda s: estate.properties_of_person_fact(iin=s),
                     label=_("Your property")),
        )  # fmt: skip
