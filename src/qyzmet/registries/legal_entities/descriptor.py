"""The legal entities registry (ГБД ЮЛ) declares itself: its facts, label and change events.

Why here: everything else is derived from this one declaration; see docs/registries.md.
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


def _entity_person(subject: str, answer: dict[str, Any]) -> str:
    """An individual entrepreneur's record is the person's own data; a company's is not."""
    return subject if answer.get("kind") == "IE" else ""


_ENTITY = {
    f: None
    for f in ("bin", "name", "kind", "registered_on", "head_iin", "address", "status",
              "activity_code")
} | {"founders": ANY}  # fmt: skip


@registry_register
class LegalEntitiesRegistry(RegistryDescriptor):
    code = "legal_entities"
    label = pgettext_lazy("registry", "register of legal entities")
    change_events = (
        ChangeEventType(
            "kz.gov.registries.legal_entities.company_registered", "bin",
            _("A company was registered"), personal=False,
            data_fields=("name", "kind", "registered_on"),
        ),
    )  # fmt: skip

    def facts(self) -> tuple[FactSpec, ...]:
        from qyzmet.registries.legal_entities import selectors as le

        return (
            FactSpec("entity", "bin_or_iin", _ENTITY, lambda s: le.entity_fact(bin=s),
                     person_of=_entity_person, label=_("Legal entity")),
            FactSpec("entities_of_person", "iin", {"entities": ANY},
                     lambda s: le.entities_of_person_fact(iin=s),
                     label=_("Companies you head or founded")),
            FactSpec("ie_status", "iin",
                     {f: None for f in ("registered", "bin", "name", "registered_on", "status")},
                     lambda s: le.ie_status_fact(iin=s),
                     label=_("Individual entrepreneur status")),
        )  # fmt: skip
