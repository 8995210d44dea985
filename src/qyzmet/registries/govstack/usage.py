""" "Who looked at my data": every read of a person's data, from the audit trail, in words.

One selector serves the portal page (`/my/data/`), the citizen's JSON route and GovStack's
`myPersonalDataUsage`. The rows are the audit trail's personal-data reads with the person as the
subject; they are written by the registry client (in-process reads) and by the registries' Data
API and facts endpoints (reads through the gateway, with the client subsystem and end user).

Who read, as the person is shown it:
* the organisation: the client subsystem's member (its BIN → the organisation), else the agency
  the reading officer works for, else the agency of the service named in the purpose;
* the officer or system: the actor (`X-Qyzmet-Actor`, or the signed-in user who read) by name,
  "you" when the person read their own data (applying for a service), "system" otherwise.

Pagination is by keyset on the audit row id (newest first), never OFFSET: see ADR 0004.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from qyzmet.audit.selectors import audit_for_object, audit_reads_of_subject
from qyzmet.registries.consent.selectors import service_of_purpose

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class UsageEntry:
    id: int
    at: dt.datetime
    registry: str
    category: str
    fields: list[str]
    purpose: str
    client: str
    organisation_code: str
    organisation_names: dict[str, str]
    reader_id: str  # an IIN, or "system"
    reader_name: str
    reader_is_subject: bool
    reference: str = ""  # the record read (its key) or the subject a fact was asked about

    def organisation(self, lang: str) -> str:
        names = self.organisation_names
        return names.get(lang) or names.get("en") or self.organisation_code or self.client

    def as_json(self, lang: str = "en") -> dict[str, Any]:
        """The GovStack `myPersonalDataUsage` item (see docs/registries.md for the field list)."""
        return {
            "id": self.id,
            "searchDateTime": self.at.isoformat(),
            "readerId": self.reader_id,
            "readerName": self.reader_name,
            "readerInstitution": self.organisation(lang),
            "readerInstitutionCode": self.organisation_code,
            "client": self.client,
            "registry": self.registry,
            "data": self.category,
            "fields": self.fields,
            "purpose": self.purpose,
        }

    def as_govstack(self, lang: str = "en") -> dict[str, Any]:
        """The item of GovStack's myPersonalDataUsage array, spelled as the GovStack test suite
        and its test data spell it (PascalCase, `Refrences` [sic])."""
        return {
            "ID": str(self.id),
            "ReaderID": self.reader_id,
            "ReaderInitials": "".join(w[0] for w in self.reader_name.split() if w)[:4],
            "ReaderInstitutionID": self.organisation_code,
            "ReaderInstitutionName": self.organisation(lang),
            "ReaderApplicationName": self.client,
            "SearchDateTime": self.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "Refrences": [{"ReferenceID": self.reference}] if self.reference else [],
        }


@dataclass(frozen=True)
class UsagePage:
    entries: list[UsageEntry]
    next_cursor: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def _cursor_parse(cursor: str | None) -> int | None:
    if cursor and cursor.isdigit():
        return int(cursor)
    return None


def _organisations() -> tuple[dict[str, Any], dict[str, Any]]:
    from qyzmet.identity.selectors import organisation_list

    orgs = organisation_list()
    return {o.bin: o for o in orgs if o.bin}, {o.code: o for o in orgs}


def personal_data_usage(
    *, subject_iin: str, cursor: str | None = None, limit: int = PAGE_SIZE
) -> UsagePage:
    """The reads of `subject_iin`'s data, newest first, `limit` per page. A fixed number of
    queries per page whatever its length (rows, organisations, readers, services)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = audit_reads_of_subject(subject_iin=subject_iin).order_by("-id")
    before = _cursor_parse(cursor)
    if before is not None:
        rows = rows.filter(id__lt=before)
    page = list(rows[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return UsagePage(_entries(page, subject_iin), str(page[-1].pk) if more and page else None)


def registry_usage(
    *, registry: str, subject: str, schema: bool, limit: int = MAX_PAGE_SIZE
) -> list[UsageEntry]:
    """The reads of one registry's data about `subject`, newest first (GovStack's
    myPersonalDataUsage names one database). A schema-described registry's reads are found by
    the person recorded as the audit row's object (`govstack.{registry}.person`)."""
    if schema:
        rows = audit_for_object(object_type=f"govstack.{registry}.person"[:60], object_id=subject)
    else:
        rows = audit_reads_of_subject(subject_iin=subject)
    rows = rows.filter(kind="read", action__startswith=f"read:{registry}.").order_by("-id")
    return _entries(list(rows[: max(1, min(limit, MAX_PAGE_SIZE))]), subject)


def _entries(page: list[Any], subject_iin: str) -> list[UsageEntry]:
    """Audit read rows → entries, with a fixed number of queries whatever the page's length."""
    from qyzmet.catalog.selectors import service_current
    from qyzmet.identity.selectors import user_agency_codes, user_get_by_iin

    by_bin, by_code = _organisations()
    readers: dict[str, Any] = {}
    services: dict[str, str] = {}
    entries = []
    for row in page:
        data = row.data if isinstance(row.data, dict) else {}
        what = row.action.removeprefix("read:")
        registry, _sep, category = what.partition(".")
        client = str(data.get("client") or "")
        reader = str(data.get("actor") or "") or (
            str(data.get("user") or "") if client else row.actor_label
        ) or "system"  # fmt: skip
        if reader not in readers:
            readers[reader] = user_get_by_iin(iin=reader) if reader.isdigit() else None
        user = readers[reader]
        org = None
        member = client.split("/")[2] if client.count("/") >= 2 else ""
        if member:
            org = by_bin.get(member) or by_code.get(member)
        if org is None and user is not None and reader != subject_iin:
            codes = sorted(user_agency_codes(user=user))
            org = by_code.get(codes[0]) if codes else None
        if org is None:
            service = service_of_purpose(row.purpose)
            if service and service not in services:
                version = service_current(code=service)
                services[service] = version.agency_code if version else ""
            org = by_code.get(services.get(service, "")) if service else None
        entries.append(
            UsageEntry(
                id=row.pk,
                at=row.at,
                registry=registry,
                category=category,
                fields=[str(f) for f in data.get("fields") or []],
                purpose=row.purpose,
                client=client,
                organisation_code=org.code if org else member,
                organisation_names=dict(org.names) if org else {},
                reader_id=reader,
                reader_name=(user.full_name if user is not None else ""),
                reader_is_subject=reader == subject_iin,
                reference=str(data.get("record") or data.get("subject") or ""),
            )
        )
    return entries


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
