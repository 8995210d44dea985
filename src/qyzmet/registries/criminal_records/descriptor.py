"""The criminal records registry (special records) declares itself: its fact and label.

Reading it for a purpose other than the person's own certificate needs their consent
(`consent_required`; the consent agreements live in `qyzmet.registries.consent`).
Why here: everything else is derived from this one declaration; see docs/registries.md.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qyzmet.registries.descriptor import ANY, FactSpec, RegistryDescriptor, registry_register


@registry_register
class CriminalRecordsRegistry(RegistryDescriptor):
    code = "criminal_records"
    label = pgettext_lazy("registry", "criminal records register")
    consent_required = True

    def facts(self) -> tuple[FactSpec, ...]:
        from qyzmet.registries.criminal_records import selectors as crim

        return (
            FactSpec("criminal_record_status", "iin", {"has_record": None, "records": ANY},
                     lambda s: crim.criminal_record_status_fact(iin=s),
                     label=_("Criminal record status")),
        )  # fmt: skip
