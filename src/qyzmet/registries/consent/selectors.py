"""Reading consent: the agreements in force and a person's current answer to each.

"In force" is the highest version of each agreement code. A person has consented when their latest
record for the code is `given` *and* was given to that highest version: publishing a new version
(new text or scope) asks everyone again."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Max

from qyzmet.audit.usage import service_of_purpose

from .models import ConsentAgreement, ConsentRecord


@dataclass(frozen=True)
class ConsentView:
    """One agreement in force with the person's current state and full history."""

    agreement: ConsentAgreement
    state: str  # "given" | "withdrawn" | "none" | "outdated" (given to an older version)
    history: list[ConsentRecord]

    @property
    def active(self) -> bool:
        return self.state == ConsentRecord.State.GIVEN

    def title(self, lang: str) -> str:
        t = self.agreement.title or {}
        return t.get(lang) or t.get("en") or self.agreement.code

    def text(self, lang: str) -> str:
        t = self.agreement.text or {}
        return t.get(lang) or t.get("en") or ""


# Agreements are append-only (a new text is a new version row, services.consent_agreement_publish
# never updates or deletes one), so the newest row identifies the whole set: one primary-key
# lookup per read tells whether this process's copy is still current, in every process, without
# a shared cache. Its creation time is part of the marker because SQLite may hand a rolled-back
# row's id to the next one. Keyed per database alias.
_in_force_cache: dict[str, tuple[tuple | None, list[ConsentAgreement]]] = {}


def _agreements_marker(alias: str) -> tuple | None:
    connection = connections[alias]
    table = connection.ops.quote_name(ConsentAgreement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, created_at FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
    return tuple(row) if row else None


def agreements_in_force() -> list[ConsentAgreement]:
    """The highest version of each agreement code. Every consent-bound registry read asks, so
    the answer is kept per process and re-read only when an agreement was published."""
    alias = router.db_for_read(ConsentAgreement)
    marker = _agreements_marker(alias)
    cached = _in_force_cache.get(alias)
    if cached is not None and cached[0] == marker:
        return cached[1]
    latest = ConsentAgreement.objects.values("code").annotate(v=Max("version"))
    wanted = {row["code"]: row["v"] for row in latest}
    rows = ConsentAgreement.objects.filter(code__in=list(wanted)).order_by("code", "-version")
    found = [a for a in rows if a.version == wanted[a.code]]
    _in_force_cache[alias] = (marker, found)
    return found


def agreement_in_force(*, code: str) -> ConsentAgreement | None:
    return ConsentAgreement.objects.filter(code=code).order_by("-version").first()


def consent_latest(*, subject_iin: str, code: str) -> ConsentRecord | None:
    return (
        ConsentRecord.objects.select_related("agreement")
        .filter(subject_iin=subject_iin, code=code)
        .order_by("-revision")
        .first()
    )


def _state(agreement: ConsentAgreement, latest: ConsentRecord | None) -> str:
    if latest is None:
        return "none"
    if latest.state == ConsentRecord.State.WITHDRAWN:
        return "withdrawn"
    return "given" if latest.agreement_id == agreement.pk else "outdated"


def consents_of_person(*, subject_iin: str) -> list[ConsentView]:
    """Every agreement in force with the person's state and history (newest first). Two queries."""
    agreements = agreements_in_force()
    records: dict[str, list[ConsentRecord]] = {}
    for r in (
        ConsentRecord.objects.select_related("agreement")
        .filter(subject_iin=subject_iin)
        .order_by("code", "-revision")
    ):
        records.setdefault(r.code, []).append(r)
    views = []
    for a in agreements:
        history = records.get(a.code, [])
        views.append(ConsentView(a, _state(a, history[0] if history else None), history))
    return views


def consent_requirements(
    *, registry: str, category: str, client: str, purpose: str
) -> list[ConsentAgreement]:
    """The agreements in force that bind this read: same registry and category, the client in
    the agreement's clients (or none listed), and the service in the purpose (or none named)."""
    service = service_of_purpose(purpose)
    found = []
    for a in agreements_in_force():
        if a.registry != registry or a.category not in (category, "*"):
            continue
        if a.clients and client not in a.clients:
            continue
        if a.service_code and a.service_code != service:
            continue
        found.append(a)
    return found


def consent_missing(
    *, registry: str, category: str, subject_iin: str, client: str, purpose: str
) -> list[ConsentAgreement]:
    """The binding agreements the person has not (or no longer) consented to; [] → may read."""
    if not subject_iin:
        return []
    missing = []
    for agreement in consent_requirements(
        registry=registry, category=category, client=client, purpose=purpose
    ):
        if _state(agreement, consent_latest(subject_iin=subject_iin, code=agreement.code)) != (
            "given"
        ):
            missing.append(agreement)
    return missing
