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

Why in `audit`: the log is the audit trail's personal-data reads, whichever registry or route
wrote them; it moved here from `qyzmet.registries.govstack` (issue 12), which keeps only what is
GovStack's own (the usage a schema-described registry's previous system logged).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .purposes import Purpose, purpose_of_row
from .selectors import audit_for_object, audit_reads_of_subject

# The purpose the applications write: "application KZ-2026-000123 for service kz.x".
_SERVICE_IN_PURPOSE = re.compile(r"\bfor service (\S+)\s*$")

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass
class UsageDirectory:
    """Who the readers are, filled by the apps that know it (identity: organisations and users;
    catalog: the agency of a service) from their `ready()`. Audit sits below them, so it is told
    rather than importing them (no cycle between apps); until told, readers stay unnamed."""

    organisations: Callable[[], Iterable[Any]] = lambda: ()
    users_by_iins: Callable[[set[str]], dict[str, Any]] = lambda iins: {}
    user_agency_codes: Callable[[Any], Iterable[str]] = lambda user: ()
    service_agency_code: Callable[[str], str] = lambda code: ""


directory = UsageDirectory()


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
    why: Purpose | None = None  # the purpose's code, stored when logged or derived (legacy rows)

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


def service_of_purpose(purpose: str) -> str:
    """The service code named in a purpose written by the applications, or ""."""
    match = _SERVICE_IN_PURPOSE.search(purpose or "")
    return match.group(1) if match else ""


def _cursor_parse(cursor: str | None) -> int | None:
    if cursor and cursor.isdigit():
        return int(cursor)
    return None


def _organisations() -> tuple[dict[str, Any], dict[str, Any]]:
    orgs = list(directory.organisations())
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
    """Audit read rows → entries, with a fixed number of queries whatever the page's length:
    organisations (one), readers and their memberships (two), and one per distinct service
    named in a purpose whose reader has no organisation of their own."""
    by_bin, by_code = _organisations()
    services: dict[str, str] = {}
    parsed = []
    for row in page:
        data = row.data if isinstance(row.data, dict) else {}
        client = str(data.get("client") or "")
        reader = str(data.get("actor") or "") or (
            str(data.get("user") or "") if client else row.actor_label
        ) or "system"  # fmt: skip
        parsed.append((row, data, client, reader))
    readers = directory.users_by_iins({r for *_rest, r in parsed if r.isdigit()})
    entries = []
    for row, data, client, reader in parsed:
        what = row.action.removeprefix("read:")
        registry, _sep, category = what.partition(".")
        user = readers.get(reader)
        why = purpose_of_row(purpose=row.purpose, data=data)
        org = None
        member = client.split("/")[2] if client.count("/") >= 2 else ""
        if member:
            org = by_bin.get(member) or by_code.get(member)
        if org is None and user is not None and reader != subject_iin:
            codes = sorted(directory.user_agency_codes(user))
            org = by_code.get(codes[0]) if codes else None
        if org is None:
            service = why.service or service_of_purpose(row.purpose)
            if service and service not in services:
                services[service] = directory.service_agency_code(service)
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
                why=why,
            )
        )
    return entries


# --- visits: the portal's grouping of reads --------------------------------------------------

VISIT_GAP = dt.timedelta(minutes=10)
VISIT_PAGE_ROWS = 200


@dataclass(frozen=True)
class UsageVisit:
    """One visit: the reads one reader of one organisation made for one purpose, newest first."""

    entries: list[UsageEntry]

    @property
    def first(self) -> UsageEntry:  # the newest read: who, which organisation, why
        return self.entries[0]

    @property
    def started(self) -> dt.datetime:
        return self.entries[-1].at

    @property
    def ended(self) -> dt.datetime:
        return self.entries[0].at


def _visit_key(entry: UsageEntry) -> tuple[str, ...]:
    why = entry.why or Purpose("other", text=entry.purpose)
    # An `other` purpose is told apart by its text; a coded one by its code and references.
    purpose = why.text if why.code == "other" else why.code
    return (entry.reader_id, entry.organisation_code or entry.client, purpose, why.service,
            why.number)  # fmt: skip


def visits_group(entries: list[UsageEntry], *, gap: dt.timedelta = VISIT_GAP) -> list[UsageVisit]:
    """Newest-first reads → visits. A read joins the visit before it (in the person's own
    newest-first list) when it has the same reader, organisation and purpose (code, service,
    application) and happened within `gap` of that visit's previous read. One request's reads
    are written within milliseconds, so a request is always one visit; an officer who opens a
    case, then its evidence, then decides within minutes is one visit per purpose; the same
    officer coming back an hour later is a new visit."""
    visits: list[list[UsageEntry]] = []
    for entry in entries:
        if visits:
            last = visits[-1][-1]
            if _visit_key(last) == _visit_key(entry) and last.at - entry.at <= gap:
                visits[-1].append(entry)
                continue
        visits.append([entry])
    return [UsageVisit(v) for v in visits]


@dataclass(frozen=True)
class VisitPage:
    visits: list[UsageVisit]
    next_cursor: str | None


def personal_data_visits(
    *, subject_iin: str, cursor: str | None = None, rows: int = VISIT_PAGE_ROWS
) -> VisitPage:
    """A page of visits, newest first, by keyset on the audit row id (the cursor is the id
    every row of the next page is below). Up to `rows` reads are read per page; when more
    remain, the last visit may continue on the next page, so it is held back for that page
    (unless it is the page's only visit: a visit longer than a page is shown in parts)."""
    rows = max(2, min(rows, 1000))
    qs = audit_reads_of_subject(subject_iin=subject_iin).order_by("-id")
    before = _cursor_parse(cursor)
    if before is not None:
        qs = qs.filter(id__lt=before)
    page = list(qs[: rows + 1])
    more = len(page) > rows
    visits = visits_group(_entries(page[:rows], subject_iin))
    if more and len(visits) > 1:
        visits = visits[:-1]
    next_cursor = str(visits[-1].entries[-1].id) if more and visits else None
    return VisitPage(visits, next_cursor)
