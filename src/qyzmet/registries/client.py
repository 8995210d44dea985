"""The registry client seam: the only way code outside `qyzmet.registries` reads the state
registries (population, legal entities).

Why a seam: in production the registries are other organisations' systems reached through the
exchange gateway (X-Road style, signed messages, access rights per purpose). In the embedded
mode they are tables in our own database. Callers must not care which: they ask
`registry_client().fetch(...)` for one *fact* about one *subject*, say why (`purpose`) and who
is asking (`actor`), and get a JSON-serialisable dict back. The gateway client that later
replaces `LocalRegistryClient` implements the same `RegistryClient` protocol and is chosen by
`settings.QYZMET_REGISTRY_CLIENT`.

The contract every implementation keeps:

* `registry` and `fact` name an entry of `registry_facts()`; anything else → `UnknownFact`.
* `subject` is an IIN (population facts, `entities_of_person`, `ie_status`) or a BIN or an IIN
  (`entity`: an individual entrepreneur is registered under the person's IIN). A malformed number
  → `InvalidSubject` whose `reason` says what is wrong.
* `purpose` is required (the citizen's access log shows it) → `PurposeRequired` when blank.
* No such person or entity → `SubjectNotFound`. Registry down or too slow → `RegistryUnavailable`:
  the caller keeps its work and retries later.
* `fields` (optional) narrows the answer to those keys; a dotted key (`address.full`) keeps one
  key of a nested dict. An unknown field → `InvalidRequest`.
* Every successful read is written to the audit trail as a personal-data read, with the person's
  IIN as the subject (for `children` and `family`: the person asked about), the fact as `what`,
  the purpose and the fields returned. The row is written in the caller's transaction.

Facts and their shapes (dates are ISO strings, missing links are null):

population.person    {iin, full_name, last_name, first_name, patronymic, birth_date, sex (M|F),
                      citizenship, death_date, address: {full, region, city, street, building,
                      apartment, registered_since}}
population.children  {children: [{iin, full_name, birth_date, sex}]}   oldest first
population.family    {spouse, mother, father: {iin, full_name, birth_date, sex} | null,
                      children: [...]}
population.address   {full, region, city, street, building, apartment, registered_since}
legal_entities.entity              {bin, name, kind (LLP|JSC|IE), registered_on, head_iin,
                                    address, status (active|liquidated), activity_code,
                                    founders: [{iin, share}]}
legal_entities.entities_of_person  {entities: [{bin, name, kind, status, role (head|founder)}]}
legal_entities.ie_status           {registered, bin, name, registered_on, status}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qyzmet.audit.services import personal_data_read
from qyzmet.countries.kz.identifiers import InvalidIdentifier, bin_validate, iin_validate


class RegistryError(Exception):
    """Base of everything a registry client raises. `code` is stable, for problem+json."""

    code = "registry.error"


class RegistryUnavailable(RegistryError):
    """The registry is down or did not answer in time: keep the work and retry later."""

    code = "registry.unavailable"


class SubjectNotFound(RegistryError):
    """The registry has no such person or entity."""

    code = "registry.subject_not_found"


class UnknownFact(RegistryError):
    """The registry does not answer this fact (or there is no such registry)."""

    code = "registry.unknown_fact"


class InvalidRequest(RegistryError):
    """The request itself is wrong: a malformed subject, no purpose, an unknown field."""

    code = "registry.invalid_request"


class InvalidSubject(InvalidRequest):
    """The subject is not a valid IIN/BIN; `reason` says why, in words a person understands."""

    code = "registry.invalid_subject"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PurposeRequired(InvalidRequest):
    code = "registry.purpose_required"


class RegistryClient(Protocol):
    """What every registry client implements (see the module docstring for the contract)."""

    def fetch(
        self,
        *,
        registry: str,
        fact: str,
        subject: str,
        purpose: str,
        actor: Any | None,
        fields: list[str] | None = None,
    ) -> dict: ...


SubjectKind = Literal["iin", "bin_or_iin"]


@dataclass(frozen=True)
class _Fact:
    subject: SubjectKind
    answer: Callable[[str], dict[str, Any] | None]
    # The IIN of the person whose data this answer is about ("" when it is not a person's).
    person_of: Callable[[str, dict[str, Any]], str]


def _subject_is_person(subject: str, answer: dict[str, Any]) -> str:
    return subject


def _entity_person(subject: str, answer: dict[str, Any]) -> str:
    # An individual entrepreneur's record is the person's own data; a company's is not.
    return subject if answer.get("kind") == "IE" else ""


def _facts() -> dict[tuple[str, str], _Fact]:
    from qyzmet.registries.legal_entities import selectors as le
    from qyzmet.registries.population import selectors as pop

    return {
        ("population", "person"): _Fact(
            "iin", lambda s: pop.person_fact(iin=s), _subject_is_person
        ),
        ("population", "children"): _Fact(
            "iin", lambda s: pop.children_fact(iin=s), _subject_is_person
        ),
        ("population", "family"): _Fact(
            "iin", lambda s: pop.family_fact(iin=s), _subject_is_person
        ),
        ("population", "address"): _Fact(
            "iin", lambda s: pop.address_fact(iin=s), _subject_is_person
        ),
        ("legal_entities", "entity"): _Fact(
            "bin_or_iin", lambda s: le.entity_fact(bin=s), _entity_person
        ),
        ("legal_entities", "entities_of_person"): _Fact(
            "iin", lambda s: le.entities_of_person_fact(iin=s), _subject_is_person
        ),
        ("legal_entities", "ie_status"): _Fact(
            "iin", lambda s: le.ie_status_fact(iin=s), _subject_is_person
        ),
    }


def registry_facts() -> dict[str, set[str]]:
    """Which facts each registry answers: {"population": {"person", ...}, ...}."""
    out: dict[str, set[str]] = {}
    for registry, fact in _facts():
        out.setdefault(registry, set()).add(fact)
    return out


def subject_validate(*, kind: SubjectKind, subject: str) -> str:
    """The subject, stripped, if it is a valid number of that kind; else InvalidSubject."""
    try:
        if kind == "iin":
            return iin_validate(subject)
        try:
            return bin_validate(subject)
        except InvalidIdentifier as bin_error:
            try:
                return iin_validate(subject)
            except InvalidIdentifier:
                raise bin_error from None
    except InvalidIdentifier as exc:
        raise InvalidSubject(exc.reason) from exc


def _pick(answer: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """Keep only `fields`; "a.b" keeps key b of the nested dict a."""
    out: dict[str, Any] = {}
    for field in fields:
        head, _sep, tail = field.partition(".")
        if head not in answer or (tail and not isinstance(answer[head], dict)):
            raise InvalidRequest(_("The registry does not return the field “%s”.") % field)
        if not tail:
            out[head] = answer[head]
            continue
        if tail not in answer[head]:
            raise InvalidRequest(_("The registry does not return the field “%s”.") % field)
        nested = out.setdefault(head, {})
        if isinstance(nested, dict):
            nested[tail] = answer[head][tail]
    return out


class LocalRegistryClient:
    """The embedded client: answers from the registry apps' own tables, in-process.

    It never raises RegistryUnavailable: the registries share our database, so when it is down
    the whole request fails anyway."""

    def fetch(
        self,
        *,
        registry: str,
        fact: str,
        subject: str,
        purpose: str,
        actor: Any | None,
        fields: list[str] | None = None,
    ) -> dict:
        spec = _facts().get((registry, fact))
        if spec is None:
            raise UnknownFact(
                _("The registry “%(registry)s” does not answer “%(fact)s”.")
                % {"registry": registry, "fact": fact}
            )
        subject = subject_validate(kind=spec.subject, subject=subject)
        if not (purpose or "").strip():
            raise PurposeRequired(_("Say why the registry is read: the purpose is required."))
        answer = spec.answer(subject)
        if answer is None:
            raise SubjectNotFound(_("The registry has no record for %s.") % subject)
        if fields is not None:
            answer = _pick(answer, fields)
        returned = list(fields) if fields is not None else list(answer)
        personal_data_read(
            actor=actor,
            subject_iin=spec.person_of(subject, answer),
            what=f"{registry}.{fact}",
            purpose=purpose.strip(),
            data={"fields": returned, "subject": subject},
        )
        return answer


class UnavailableRegistryClient:
    """A stand-in for a registry that is down: every fetch raises RegistryUnavailable.

    For tests of callers' retry paths: `settings.QYZMET_REGISTRY_CLIENT =
    "qyzmet.registries.client.UnavailableRegistryClient"`."""

    def fetch(
        self,
        *,
        registry: str,
        fact: str,
        subject: str,
        purpose: str,
        actor: Any | None,
        fields: list[str] | None = None,
    ) -> dict:
        raise RegistryUnavailable(
            _("The registry “%s” is not answering. Try again later.") % registry
        )


@functools.lru_cache(maxsize=8)
def _client_for(path: str) -> RegistryClient:
    return import_string(path)()


def registry_client() -> RegistryClient:
    """The configured client (`settings.QYZMET_REGISTRY_CLIENT`, a dotted path), one per path."""
    return _client_for(
        getattr(settings, "QYZMET_REGISTRY_CLIENT", "qyzmet.registries.client.LocalRegistryClient")
    )
