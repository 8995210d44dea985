"""The registry facts a case carries as evidence, read once per application.

A citizen's application reads each registry item once: the apply pages read what they show and
keep it (`Evidence.stored()`, in the citizen's session, keyed to the form), signing reuses every
fact still fresh (`evidence_max_age()`) for the same subject and reads only the rest, and the
submission takes the facts from what was signed — it never reads a registry, least of all inside
the transaction that locks the draft. So the citizen's "who looked at my data" shows one read per
registry item for one application. Only a case whose registry did not answer is read again, by
the retry, outside any lock.

The registry stays the source of truth: a fact older than `evidence_max_age()` is read again
before anything is signed, and when it changed since the citizen saw it, signing stops with
`EvidenceChanged` (what changed, old and new) so the citizen sees it and confirms again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qyzmet.core.problem import FieldError, Problem, validation
from qyzmet.exchange.registry_client import (
    RegistryError,
    RegistryUnavailable,
    SubjectNotFound,
    registry_client,
)

APPLICANT_SUBJECT = "applicant"


def evidence_max_age() -> dt.timedelta:
    """How long a fact read from a registry may be reused for the same application before it is
    read again (`QYZMET_EVIDENCE_MAX_AGE_SECONDS`, 15 minutes): long enough to fill in a form,
    check the answers and sign, short enough that what is signed is what the registry holds."""
    return dt.timedelta(
        seconds=float(getattr(settings, "QYZMET_EVIDENCE_MAX_AGE_SECONDS", 15 * 60))
    )


@dataclass
class Evidence:
    """What the registries answered for one case: the facts read (with the subject each was read
    for and when), the evidence items whose registry did not answer (read later by the retry),
    the last reason given, and (only in a lenient read) the items a registry refused for good,
    with its error code and words."""

    facts: dict[str, Any] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    error: str = ""
    failed: dict[str, dict[str, str]] = field(default_factory=dict)
    subjects: dict[str, str] = field(default_factory=dict)
    read_at: dict[str, dt.datetime] = field(default_factory=dict)

    def not_obtained(self, *, prefix: str = "") -> dict[str, dict[str, str]]:
        """Every item not read, as `evidence_missing` keeps it: refused for good with the
        registry's code, or not answering (`registry.unavailable`, the last reason given)."""
        silent = {"code": RegistryUnavailable.code, "detail": f"{prefix}{self.error}"[:300]}
        return {**self.failed, **{name: dict(silent) for name in self.pending}}

    def stored(self) -> dict[str, Any]:
        """The facts read, as JSON (for the session between the apply pages)."""
        return {
            "facts": self.facts,
            "subjects": self.subjects,
            "read_at": {name: when.isoformat() for name, when in self.read_at.items()},
        }

    @classmethod
    def from_stored(cls, raw: Any) -> Evidence:
        """`stored()` read back; anything malformed is dropped (and so read again)."""
        found = cls()
        if not isinstance(raw, Mapping):
            return found
        facts, subjects, read_at = (raw.get(k) for k in ("facts", "subjects", "read_at"))
        if not (isinstance(facts, Mapping) and isinstance(subjects, Mapping)
                and isinstance(read_at, Mapping)):  # fmt: skip
            return found
        for name, fact in facts.items():
            when = parse_datetime(str(read_at.get(name) or ""))
            if when is None or not isinstance(subjects.get(name), str):
                continue
            found.facts[name] = fact
            found.subjects[name] = subjects[name]
            found.read_at[name] = when
        return found

    def changed_since(self, earlier: Evidence) -> list[str]:
        """The items read for the same subject both times whose facts differ now."""
        return [
            name
            for name, fact in self.facts.items()
            if name in earlier.facts
            and earlier.subjects.get(name) == self.subjects.get(name)
            and earlier.facts[name] != fact
        ]


@dataclass
class EvidenceChanged(Problem):
    """A fact the citizen was shown changed in the registry before they signed: nothing is
    signed; `evidence` is the fresh read (to show and to sign next), `earlier` what they saw."""

    evidence: Evidence = field(default_factory=Evidence)
    earlier: Evidence = field(default_factory=Evidence)


def evidence_changed(*, evidence: Evidence, earlier: Evidence, changed: list[str]) -> Problem:
    return EvidenceChanged(
        409,
        "evidence_changed",
        "The registry data changed",
        "The registry data changed since it was shown: check it and sign again.",
        extra={"changed": changed},
        evidence=evidence,
        earlier=earlier,
    )


def _resolve_pointer(data: Mapping[str, Any], pointer: str) -> Any:
    node: Any = data
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def evidence_read(
    *,
    actor: Any,
    package: Any,
    applicant_iin: str,
    data: Mapping[str, Any] | None,
    purpose: str,
    only: Iterable[str] | None = None,
    lenient: bool = False,
    display: bool = False,
    known: Evidence | None = None,
    now: dt.datetime | None = None,
) -> Evidence:
    """Read each evidence item of `package` (`only` those, when given) through the registry
    client (each read is audited there, with `purpose` and the citizen as the end user).

    An item in `known` read for the same subject within `evidence_max_age()` is taken as it is,
    not read again. A registry that does not answer (`RegistryUnavailable`) leaves its item
    pending, never the whole submission lost. Any other registry error is the citizen's to fix
    (a typed IIN with no record, ...) and raised as a 422 problem, unless `lenient` (the
    background retry, where nobody can fix it now) or `display` (a page that only shows the
    facts; signing names the field): then the item is `failed`, with the registry's code and
    words. A page also skips an item whose IIN is not typed yet, and with `data` None (the form
    not filled in yet) reads only the items about the applicant."""
    now = now or timezone.now()
    oldest = now - evidence_max_age()
    client = None
    wanted = set(only) if only is not None else None
    found = Evidence()
    for item in package.evidence:
        if wanted is not None and item.name not in wanted:
            continue
        if item.subject == APPLICANT_SUBJECT:
            subject, pointer = applicant_iin, ""
        elif data is None:
            continue
        else:
            pointer = item.subject.removeprefix("form:")
            subject = str(_resolve_pointer(data, pointer) or "")
            if not subject and display:
                continue  # nothing typed yet: nothing to read or to show
        if (
            known is not None
            and item.name in known.facts
            and known.subjects.get(item.name) == subject
            and known.read_at[item.name] >= oldest
        ):
            found.facts[item.name] = known.facts[item.name]
            found.subjects[item.name] = subject
            found.read_at[item.name] = known.read_at[item.name]
            continue
        client = client or registry_client()
        try:
            found.facts[item.name] = client.fetch(
                registry=item.registry,
                fact=item.fact,
                subject=subject,
                purpose=purpose,
                actor=actor,
            )
        except RegistryError as exc:
            if isinstance(exc, RegistryUnavailable):
                found.pending.append(item.name)
                found.error = f"{item.registry}.{item.fact}: {exc}"[:300]
            elif lenient or display:
                found.failed[item.name] = {"code": exc.code, "detail": str(exc)[:300]}
            else:
                raise _evidence_problem(exc, pointer) from exc
        else:
            found.subjects[item.name] = subject
            found.read_at[item.name] = now
    return found


def _evidence_problem(exc: RegistryError, pointer: str) -> Problem:
    if isinstance(exc, SubjectNotFound):
        if pointer:
            return validation([FieldError(pointer, "No such record in the registry.")])
        return Problem(422, "applicant_not_in_registry", "Not in the registry", str(exc))
    if pointer:
        return validation([FieldError(pointer, str(exc))])
    return Problem(422, "evidence_invalid", "Evidence could not be read", str(exc))
