"""The registry client seam: the only way code outside `qyzmet.registries` reads the state
registries. It lives in `qyzmet.exchange` because nothing imports a registry: everything asks the
gateway (ARCHITECTURE.md); which registries exist and what they answer comes from their
descriptors (`qyzmet.exchange.registry_descriptor`), never from a list written here.

Why a seam: in production the registries are other organisations' systems reached through the
exchange gateway (X-Road style, signed messages, access rights per purpose). In the embedded
mode they are tables in our own database. Callers must not care which: they ask
`registry_client().fetch(...)` for one *fact* about one *subject*, say why (`purpose`) and who
is asking (`actor`), and get a JSON-serialisable dict back. The gateway client that later
replaces `LocalRegistryClient` implements the same `RegistryClient` protocol and is chosen by
`settings.QYZMET_REGISTRY_CLIENT`.

The contract every implementation keeps:

* `registry` and `fact` name a fact a registered descriptor declares (`registry_facts()`);
  anything else → `UnknownFact`.
* `subject` is what the fact's `FactSpec.subject` says: an IIN, a BIN, or a BIN or an IIN
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

The built-in facts and their shapes (dates are ISO strings, missing links are null); each
registry's `descriptor.py` declares them:

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
vehicles.vehicles_of_person        {vehicles: [{vin, plate, make, model, year, colour, category,
                                    registered_on, status}]}   registered ones, by plate
real_estate.properties_of_person   {properties: [{cadastral_number, kind (apartment|house|land|
                                    commercial), address, area, share, since}]}
criminal_records.criminal_record_status
                                   {has_record, records: [{record_number, article, article_title,
                                    verdict_date, court, sentence, expunged, expunged_on}]}
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qyzmet.audit.services import personal_data_read
from qyzmet.core.identifiers import InvalidIdentifier, bin_validate, iin_validate

from .registry_descriptor import FactSpec, SubjectKind, registry_descriptors


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


def _facts() -> dict[tuple[str, str], FactSpec]:
    """Every fact of every registered registry, by (registry code, fact name)."""
    return {
        (code, spec.name): spec
        for code, descriptor in registry_descriptors().items()
        for spec in descriptor.facts()
    }


def _person_of(spec: FactSpec, subject: str, answer: dict[str, Any]) -> str:
    """The IIN whose personal data the answer is ("" for a company's, or a non-personal fact)."""
    if not spec.personal:
        return ""
    return subject if spec.person_of is None else spec.person_of(subject, answer)


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
        if kind == "bin":
            return bin_validate(subject)
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
        spec, subject = _fact_resolve(registry=registry, fact=fact, subject=subject)
        if not (purpose or "").strip():
            raise PurposeRequired(_("Say why the registry is read: the purpose is required."))
        found = _fact_answered(spec=spec, subject=subject, fields=fields)
        personal_data_read(
            actor=actor,
            subject_iin=found.person_iin,
            what=f"{registry}.{fact}",
            purpose=purpose.strip(),
            data={"fields": found.fields, "subject": subject},
        )
        return found.answer


class UnavailableRegistryClient:
    """A stand-in for a registry that is down: every fetch raises RegistryUnavailable.

    For tests of callers' retry paths: `settings.QYZMET_REGISTRY_CLIENT =
    "qyzmet.exchange.registry_client.UnavailableRegistryClient"`."""

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
        getattr(settings, "QYZMET_REGISTRY_CLIENT",
                "qyzmet.exchange.registry_client.LocalRegistryClient")
    )


@dataclass(frozen=True)
class FactAnswer:
    """One fact as a provider returns it: the answer, whose personal data it is ("" when it is a
    company's) and the fields returned (for the access log)."""

    answer: dict[str, Any]
    person_iin: str
    fields: list[str]


def fact_answer(
    *, registry: str, fact: str, subject: str, fields: list[str] | None = None
) -> FactAnswer:
    """Answer one fact from the local tables, with the same checks and errors as
    `LocalRegistryClient.fetch` but without the purpose check and the audit row: the GovStack
    facts endpoint (`qyzmet.registries.govstack`) audits with the gateway's client and user."""
    spec, subject = _fact_resolve(registry=registry, fact=fact, subject=subject)
    return _fact_answered(spec=spec, subject=subject, fields=fields)


def _fact_resolve(*, registry: str, fact: str, subject: str) -> tuple[FactSpec, str]:
    """The fact's declaration and the subject, checked: UnknownFact or InvalidSubject."""
    spec = _facts().get((registry, fact))
    if spec is None:
        raise UnknownFact(
            _("The registry “%(registry)s” does not answer “%(fact)s”.")
            % {"registry": registry, "fact": fact}
        )
    return spec, subject_validate(kind=spec.subject, subject=subject)


def _fact_answered(*, spec: FactSpec, subject: str, fields: list[str] | None) -> FactAnswer:
    """The registry's answer, narrowed to `fields`: SubjectNotFound when it has no record."""
    answer = spec.answer(subject)
    if answer is None:
        raise SubjectNotFound(_("The registry has no record for %s.") % subject)
    if fields is not None:
        answer = _pick(answer, fields)
    returned = list(fields) if fields is not None else list(answer)
    return FactAnswer(answer, _person_of(spec, subject, answer), returned)


class RegistryRefused(RegistryError):
    """The exchange gateway refused the call (unknown client or service, no access right, a
    bad signature); `code` is the X-Road error code, e.g. `Server.ServerProxy.AccessDenied`."""

    code = "registry.refused"

    def __init__(self, message: str, *, code: str = "", status: int = 0) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.status = status


class GatewayRegistryClient:
    """Reads the registries through the exchange gateway (once-only, X-Road style).

    Each fetch is `GET /r1/<the registry's facts service>/<fact>?subject=…[&fields=…]`, signed
    with the platform's client key (`KZ/GOV/<platform BIN>/qyzmet-portal`), with the purpose
    and the end user as headers: the citizen's IIN (the acting person's, or the subject's when
    the system acts) as `X-Road-UserId`, the actor as `X-Qyzmet-Actor`. The registry — the data
    owner — writes the personal-data read to the audit trail from those headers; the gateway
    keeps the signed exchange in its message log.

    The gateway runs in-process unless QYZMET_EXCHANGE_GATEWAY_URL is set; the registry may be
    remote (the service's base URL). Errors map back to this module's exceptions: the
    provider's problem+json `code` picks the class (subject not found, invalid subject, unknown
    fact...), a gateway refusal is `RegistryRefused` with the X-Road code, and anything that
    means "not now" (5xx, network, timeout) is `RegistryUnavailable`."""

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
        from qyzmet.exchange import client as exchange_client

        if not (purpose or "").strip():
            raise PurposeRequired(_("Say why the registry is read: the purpose is required."))
        with exchange_client.directory_scope():  # one directory validation per fetch
            return self._fetch(registry=registry, fact=fact, subject=subject, purpose=purpose,
                               actor=actor, fields=fields)  # fmt: skip

    def _fetch(self, *, registry: str, fact: str, subject: str, purpose: str,
               actor: Any | None, fields: list[str] | None) -> dict:  # fmt: skip
        import json

        from qyzmet.exchange import client as exchange_client
        from qyzmet.exchange import conf as exchange_conf
        from qyzmet.exchange import selectors as exchange_selectors
        from qyzmet.exchange import services as exchange_services

        service_id = exchange_selectors.registry_service_id(registry=registry)
        if service_id is None:
            raise UnknownFact(
                _("The registry “%(registry)s” does not answer “%(fact)s”.")
                % {"registry": registry, "fact": fact}
            )
        client_id = exchange_conf.platform_client()
        actor_iin = getattr(actor, "iin", "") or ""
        query = {"subject": subject}
        if fields is not None:
            query["fields"] = ",".join(fields)
        try:
            result = exchange_client.exchange_request(
                client_id=client_id,
                signer=exchange_services.client_signer(client_id=client_id),
                service_id=service_id, path=fact, query=query,
                user_id=actor_iin or subject.strip(), purpose=purpose.strip(),
                actor=actor_iin or "system",
            )  # fmt: skip
        except exchange_client.GatewayUnreachable as exc:
            raise RegistryUnavailable(
                _("The registry “%s” is not answering. Try again later.") % registry
            ) from exc
        if result.status == 200:
            return json.loads(result.body)
        try:
            problem = json.loads(result.body or b"{}")
        except ValueError:
            problem = {}
        detail = str(problem.get("message") or problem.get("detail") or "")
        if result.status >= 500:
            raise RegistryUnavailable(
                _("The registry “%s” is not answering. Try again later.") % registry
            )
        if result.error:  # refused by the gateway itself
            raise RegistryRefused(detail, code=result.error, status=result.status)
        code = str(problem.get("code", ""))
        if code == SubjectNotFound.code:
            raise SubjectNotFound(detail)
        if code == UnknownFact.code:
            raise UnknownFact(detail)
        if code == InvalidSubject.code:
            raise InvalidSubject(detail)
        if code in (PurposeRequired.code, "gateway.purpose_required"):
            raise PurposeRequired(detail)
        if result.status in (401, 403):
            raise RegistryRefused(detail, code=code, status=result.status)
        raise InvalidRequest(detail or code)
