"""The data-usage log ("who looked at my data") moved to `qyzmet.audit.usage`; what stays here is
GovStack's own: the usage a schema-described registry's previous system logged, loaded with its
records. The moved names are re-exported for the callers not yet switched (the portal's data
tracker, tests); new code imports `qyzmet.audit.usage`."""

from __future__ import annotations

from typing import Any

from qyzmet.audit.usage import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    UsageEntry,
    UsagePage,
    UsageVisit,
    VisitPage,
    personal_data_usage,
    personal_data_visits,
    registry_usage,
    visits_group,
)

__all__ = [
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "USAGE_KEYS",
    "UsageEntry",
    "UsagePage",
    "UsageVisit",
    "VisitPage",
    "imported_usage",
    "personal_data_usage",
    "personal_data_visits",
    "registry_usage",
    "visits_group",
]

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
