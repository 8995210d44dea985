"""GovStack's own part of the data-usage log: the usage a schema-described registry's previous
system logged, loaded with its records. The platform's own log ("who looked at my data") is
`qyzmet.audit.usage`."""

from __future__ import annotations

from typing import Any

USAGE_KEYS = ("ID", "ReaderID", "ReaderInitials", "ReaderInstitutionID", "ReaderInstitutionName",
              "ReaderApplicationName", "SearchDateTime", "Refrences")  # fmt: skip


def imported_usage(*, registry: Any, person: str) -> list[dict[str, Any]]:
    """The reads a schema-described registry's previous system logged about `person`, as loaded
    with its records (the registry's `usage_field`), in the PersonalDataUsage shape."""
    if not registry.usage_field:
        return []
    out = []
    for record in registry.queryset().filter(person=person):
        for item in (record.data or {}).get(registry.usage_field) or []:
            if isinstance(item, dict):
                out.append({k: item[k] for k in USAGE_KEYS if k in item})
    return out
