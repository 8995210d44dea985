"""Reading consent: the agreements in force and a person's current answer to each.

"In force" is the highest version of each agreement code. A person has consented when their latest
record for the code is `given` *and* was given to that highest version: publishing a new version
(new text or scope) asks everyone again."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Max

from .models import ConsentAgreement, ConsentRecord

# The purpose the applications write: "application KZ-2026-000123 for service kz.x".
_SERVICE_IN_PURPOSE = re.compile(r"\bfor service (\S+)\s*$")


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


def agreements_in_force() -> list[ConsentAgreement]:
    latest = ConsentAgreement.objects.values("code").annotate(v=Max("version"))
    wanted = {row["code"]: row["v"] for row in latest}
    rows = ConsentAgreement.objects.filter(code__in=list(wanted)).order_by("code", "-version")
    return [a for a in rows if a.version == wanted[a.code]]


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
    return [
        ConsentView(a, _state(a, (records.get(a.code) or [None])[0]), records.get(a.code, []))
        for a in agreements
    ]


def service_of_purpose(purpose: str) -> str:
    """The service code named in a purpose written by the applications, or ""."""
    match = _SERVICE_IN_PURPOSE.search(purpose or "")
    return match.group(1) if match else ""


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
