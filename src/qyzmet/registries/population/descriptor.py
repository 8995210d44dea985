"""The population registry (ГБД ФЛ) declares itself: its facts, its label and its change events.

Why here: everything else (the registry client's fact table, the service-package validator, the
UI labels, the gateway's services) is derived from this one declaration; see docs/registries.md.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qyzmet.registries.descriptor import (
    ANY,
    ChangeEventType,
    FactSpec,
    RegistryDescriptor,
    registry_register,
)

_ADDRESS: dict[str, Any] = {
    f: None
    for f in ("full", "region", "city", "street", "building", "apartment", "registered_since")
}
_PERSON: dict[str, Any] = {
    **{
        f: None
        for f in ("iin", "full_name", "last_name", "first_name", "patronymic", "birth_date",
                  "sex", "citizenship", "death_date")
    },
    "address": _ADDRESS,
}  # fmt: skip


@registry_register
class PopulationRegistry(RegistryDescriptor):
    code = "population"
    label = pgettext_lazy("registry", "population register")
    change_events = (
        ChangeEventType(
            "kz.gov.registries.population.birth_registered", "iin",
            _("A birth was registered"),
            data_fields=("child_iin", "full_name", "birth_date", "sex", "mother_iin",
                         "father_iin"),
        ),
        ChangeEventType(
            "kz.gov.registries.population.death_registered", "iin",
            _("A death was registered"), data_fields=("death_date",),
        ),
        ChangeEventType(
            "kz.gov.registries.population.address_changed", "iin",
            _("A registered address changed"), data_fields=("address",),
        ),
        ChangeEventType(
            "kz.gov.registries.population.document_expiring", "iin",
            _("An identity document is about to expire"),
            data_fields=("kind", "number", "expires_on"),
        ),
    )  # fmt: skip

    def facts(self) -> tuple[FactSpec, ...]:
        from qyzmet.registries.population import selectors as pop

        return (
            FactSpec("person", "iin", _PERSON, lambda s: pop.person_fact(iin=s),
                     label=_("Personal details")),
            FactSpec("children", "iin", {"children": ANY}, lambda s: pop.children_fact(iin=s),
                     label=_("Children")),
            FactSpec("family", "iin",
                     {"spouse": ANY, "mother": ANY, "father": ANY, "children": ANY},
                     lambda s: pop.family_fact(iin=s), label=_("Family")),
            FactSpec("address", "iin", _ADDRESS, lambda s: pop.address_fact(iin=s),
                     label=_("Registered address")),
        )  # fmt: skip
