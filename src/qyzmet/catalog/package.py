"""The typed model of a service package.

A package is data (a YAML file, see docs/service-packages.md); this module turns the validated
dict into frozen dataclasses, so the rest of the platform reads `package.workflow.action("take")`
instead of digging through nested dicts. Packages are immutable once published — a change is a new
version — which is why every class here is frozen and parsed objects can be cached forever.

`package_parse` trusts its input: call it only on data that `validation.package_validate` accepted
(or that came out of the database, where only validated packages are stored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from jsonschema import Draft202012Validator

from qyzmet.core.formats import format_checker
from qyzmet.core.problem import FieldError
from qyzmet.core.templating import text_render

LANGS: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANG = "kk"
ROLES: tuple[str, ...] = ("officer", "head", "applicant")
NOTIFICATION_KINDS: tuple[str, ...] = ("submitted", "info_requested", "approved", "refused")
NOTIFICATION_PLACEHOLDERS: frozenset[str] = frozenset({"number", "service", "due_date", "reason"})


def lang_normalise(lang: str | None) -> str:
    """'ru-RU' -> 'ru'; anything we do not publish in falls back to the default language."""
    base = (lang or DEFAULT_LANG).split("-")[0].lower()
    return base if base in LANGS else DEFAULT_LANG


class Text(dict[str, str]):
    """One text in the three official languages: a read-only {kk, ru, en} dict, so it can be
    stored as JSON and handed to code that expects a plain mapping.

    `text.get(lang)` never comes back empty for a language we do not publish in: it falls back
    to the default language (pass a `default` to get Mapping behaviour instead)."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Text:
        return cls({lang: str(data[lang]) for lang in LANGS})

    def get(self, lang: str | None, default: Any = None) -> Any:
        base = (lang or "").split("-")[0].lower()
        if base in self:
            return self[base]
        return default if default is not None else dict.__getitem__(self, DEFAULT_LANG)

    @property
    def kk(self) -> str:
        return self["kk"]

    @property
    def ru(self) -> str:
        return self["ru"]

    @property
    def en(self) -> str:
        return self["en"]

    def as_dict(self) -> dict[str, str]:
        return dict(self)

    def _readonly(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("package texts are immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # copy/deepcopy/pickle would otherwise refill the dict item by item and hit _readonly.
        return (self.__class__, (dict(self),))

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _readonly  # type: ignore[assignment]


@dataclass(frozen=True)
class FeeRule:
    """When an exemption applies, decided from the registry facts the package reads: a test of
    one field of one evidence item (`evidence`, `field` a dotted path, `test` one of
    `age_at_least`, `count_at_least`, `equals` with its `value`), or `all`/`any` of other rules.
    Evaluated by `qyzmet.catalog.fees`; a fact that is absent never satisfies a test."""

    all: tuple[FeeRule, ...] = ()
    any: tuple[FeeRule, ...] = ()
    evidence: str = ""
    field: str = ""
    test: str = ""
    value: Any = None


@dataclass(frozen=True)
class Exemption:
    """Who pays less: `code` (stable, for audit and payments), `label` (the words the citizen
    reads), `when` (the rule) and `pays_percent` (the share of the fee still paid; 0 = free)."""

    code: str
    label: Text
    when: FeeRule
    pays_percent: int = 0


REFUND_FULL = "full"
REFUND_NONE = "none"


@dataclass(frozen=True)
class FeeRefund:
    """What is given back of a paid fee when the case is refused, or withdrawn by the applicant
    before the decision: `full` or `none`."""

    refused: str = REFUND_NONE
    withdrawn_before_decision: str = REFUND_NONE


@dataclass(frozen=True)
class Fee:
    """The service's fee: a fixed `fixed_amount` in the currency's minor unit (tiyn), or `mci`
    monthly calculation indices (an exact Decimal, at most 2 decimals) whose amount depends on
    the year's index (country pack data). Money is never a float: see `amount_on`."""

    currency: str
    fixed_amount: int | None = None
    mci: Decimal | None = None
    exemptions: tuple[Exemption, ...] = ()
    refund: FeeRefund = FeeRefund()

    def amount_on(self, day: date) -> int:
        """The full fee (before any exemption) in minor units on `day`. An MCI fee uses that
        year's index (`ImproperlyConfigured` when the country pack lacks the year)."""
        if self.mci is None:
            return int(self.fixed_amount or 0)
        from .reference import mci_table  # reference imports this module

        exact = self.mci * mci_table().value(day.year) * 100
        if exact != exact.to_integral_value():
            raise ValueError(f"{self.mci} MCI in {day.year} is not a whole number of tiyn")
        return int(exact)

    @property
    def amount(self) -> int:
        """The full fee today (pages and lists; an application is quoted by `fees.fee_quote`)."""
        return self.amount_on(timezone.localdate())

    @property
    def amount_if_known(self) -> int | None:
        """The full fee today, or None while this year's index is not in the country pack (an
        MCI fee on 1 January before the year's value is added): lists and pages say the fee
        cannot be shown yet rather than fail."""
        from .reference import MciYearMissing

        try:
            return self.amount
        except MciYearMissing:
            return None

    @property
    def is_free(self) -> bool:
        return self.mci is None and not self.fixed_amount


@dataclass(frozen=True)
class Form:
    """The application form: a JSON Schema plus how to present it."""

    schema: Mapping[str, Any]
    ui_order: tuple[str, ...]
    labels: Mapping[str, Text]
    options: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)
    hints: Mapping[str, Text] = field(default_factory=dict)

    @property
    def properties(self) -> Mapping[str, Any]:
        return self.schema.get("properties", {})

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.schema.get("required", ()))

    def label(self, name: str, lang: str | None) -> str:
        return self.labels[name].get(lang)

    def hint(self, name: str, lang: str | None) -> str:
        text = self.hints.get(name)
        return text.get(lang) if text else ""

    def option_label(self, name: str, value: Any, lang: str | None) -> str:
        text = self.options.get(name, {}).get(str(value))
        return text.get(lang) if text else str(value)

    def errors(self, data: Any) -> list[FieldError]:
        """Validate submitted form data; one FieldError (JSON pointer into the data) per
        problem. The messages are jsonschema's English ones: callers that show them to a person
        map pointers to translated texts of their own."""
        validator = Draft202012Validator(dict(self.schema), format_checker=format_checker())
        found: list[FieldError] = []
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
            path = [str(p) for p in error.path]
            if error.validator == "required" and isinstance(error.instance, Mapping):
                missing = [
                    name
                    for name in error.validator_value
                    if name not in error.instance and f"{name!r} is a required" in error.message
                ]
                path = [*path, *missing[:1]]
            message = error.message
            if error.validator == "format" and getattr(error.cause, "reason", ""):
                message = error.cause.reason  # e.g. "IIN check digit is wrong"
            found.append(FieldError(pointer_join(path), message))
        return found


@dataclass(frozen=True)
class Evidence:
    """A fact the state already knows, fetched from a registry instead of asked of the citizen.

    `subject` is `applicant` (the signed-in person) or `form:/<pointer>` (an identifier typed in
    the form, e.g. a child's IIN)."""

    name: str
    registry: str
    fact: str
    subject: str
    show: tuple[str, ...]
    # Whose facts these are when they are not the applicant's ("Future spouse"), so pages that
    # list several people's facts say whose each one is.
    label: Text | None = None

    @property
    def subject_pointer(self) -> str | None:
        """The JSON pointer into the form data, or None when the subject is the applicant."""
        return self.subject[len("form:") :] if self.subject.startswith("form:") else None

    def subject_id(self, *, applicant_id: str, form_data: Mapping[str, Any]) -> str | None:
        """The identifier (IIN/BIN) to ask the registry about."""
        pointer = self.subject_pointer
        if pointer is None:
            return applicant_id
        value = pointer_resolve(form_data, pointer)
        return None if value is None else str(value)


@dataclass(frozen=True)
class State:
    name: str
    deadline_working_days: int | None = None
    clock: str | None = None
    final: bool = False
    outcome: str | None = None

    @property
    def clock_paused(self) -> bool:
        """While the case waits for the applicant, the legal deadline does not run."""
        return self.clock == "paused"


@dataclass(frozen=True)
class Action:
    name: str
    from_states: tuple[str, ...]
    to: str
    roles: tuple[str, ...]
    requires_reason: bool = False
    # A refusing action's grounds (codes of the package's `refusal_grounds`); () = all of them.
    grounds: tuple[str, ...] = ()

    def allowed_for(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class RefusalGround:
    """A legal ground on which an application may be refused (modelled on the Law on Public
    Services, art. 19-1). The officer refuses by choosing one: its stable `code` is signed and
    published in the open data, where an officer's free-text reason never may be."""

    code: str
    label: Text
    legal_basis: Text


@dataclass(frozen=True)
class Workflow:
    deadline_working_days: int
    initial: str
    states: Mapping[str, State]
    actions: tuple[Action, ...]

    def state(self, name: str) -> State | None:
        return self.states.get(name)

    def action(self, name: str) -> Action | None:
        return next((a for a in self.actions if a.name == name), None)

    def actions_from(self, state: str, *, role: str | None = None) -> list[Action]:
        """The actions that may be taken in `state` (by `role`, when given), in package order."""
        return [
            a for a in self.actions if state in a.from_states and (role is None or role in a.roles)
        ]

    def is_final(self, state: str) -> bool:
        found = self.states.get(state)
        return bool(found and found.final)

    def refuses(self, action: Action) -> bool:
        """Whether `action` refuses the application: it asks for a reason and leads to a
        final state whose outcome is `refused` (such an action asks for a ground as well)."""
        target = self.states.get(action.to)
        return bool(action.requires_reason and target and target.outcome == "refused")


@dataclass(frozen=True)
class Result:
    title: Text
    body: Text
    validity_days: int | None = None

    def render(self, lang: str | None, context: dict[str, Any]) -> tuple[str, str]:
        """(title, body) with placeholders filled from `context` = {evidence name: data,
        "form": form data}."""
        return text_render(self.title.get(lang), context), text_render(self.body.get(lang), context)


class Notifications(dict[str, Text]):
    """The messages sent to the applicant, by kind (submitted, info_requested, approved,
    refused); read-only."""

    __slots__ = ()

    def render(self, kind: str, lang: str | None, **values: Any) -> str:
        return text_render(self[kind].get(lang), values)


@dataclass(frozen=True)
class Link:
    url: str
    label: Text


@dataclass(frozen=True)
class Information:
    """How to get a service that is not applied for on this platform (kind `information`):
    the catalogue still lists it, so that a citizen who searches finds out where to go."""

    where: Text
    steps: tuple[Text, ...]
    eligibility: Text
    documents: tuple[Text, ...]
    time_limit: Text
    fee_note: Text | None = None
    link: Link | None = None


KIND_ONLINE = "online"
KIND_INFORMATION = "information"
KINDS: tuple[str, ...] = (KIND_ONLINE, KIND_INFORMATION)


@dataclass(frozen=True)
class ServicePackage:
    """One version of a service. An `online` package (the default) has a form, evidence, a
    workflow, a result and notifications; an `information` package has none of them (they are
    None/empty) and has `information` instead. Code that runs applications gets only online
    packages from the selectors, so it may rely on `form` and `workflow`."""

    code: str
    version: int
    titles: Text
    summary: Text
    guidance: Text
    legal_basis: Text
    agency: str
    applicants: tuple[str, ...]
    life_events: tuple[str, ...]
    fee: Fee
    form: Form
    evidence: tuple[Evidence, ...]
    workflow: Workflow
    result: Result
    notifications: Notifications
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = KIND_ONLINE
    search_terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    information: Information | None = None
    refusal_grounds: tuple[RefusalGround, ...] = ()

    def title(self, lang: str | None) -> str:
        return self.titles.get(lang)

    def ground(self, code: str | None) -> RefusalGround | None:
        """The refusal ground with this code, or None (no code, or not one of this version's)."""
        return next((g for g in self.refusal_grounds if g.code == code), None) if code else None

    def grounds_for(self, action: str) -> tuple[RefusalGround, ...]:
        """The grounds the officer chooses from when taking `action`: none unless it refuses;
        the action's own list when it names one, else every ground of the package."""
        step = self.workflow.action(action) if self.workflow else None
        if step is None or not self.workflow.refuses(step):
            return ()
        if step.grounds:
            return tuple(g for g in self.refusal_grounds if g.code in step.grounds)
        return self.refusal_grounds

    @property
    def is_online(self) -> bool:
        return self.kind == KIND_ONLINE

    def evidence_named(self, name: str) -> Evidence | None:
        return next((e for e in self.evidence if e.name == name), None)


def _texts(data: Mapping[str, Any] | None) -> dict[str, Text]:
    return {key: Text.from_dict(value) for key, value in (data or {}).items()}


FEE_TESTS: tuple[str, ...] = ("age_at_least", "count_at_least", "equals")


def fee_rule_parse(data: Mapping[str, Any]) -> FeeRule:
    if "all" in data or "any" in data:
        return FeeRule(
            all=tuple(fee_rule_parse(r) for r in data.get("all", ())),
            any=tuple(fee_rule_parse(r) for r in data.get("any", ())),
        )
    test = next((t for t in FEE_TESTS if t in data), "")
    return FeeRule(
        evidence=str(data["evidence"]),
        field=str(data["field"]),
        test=test,
        value=data.get(test),
    )


def fee_parse(data: Mapping[str, Any]) -> Fee:
    """The typed fee of validated package data (`mci` read exactly: 1.25 stays 1.25)."""
    refund = data.get("refund") or {}
    return Fee(
        currency=str(data["currency"]),
        fixed_amount=int(data["amount"]) if "amount" in data else None,
        mci=Decimal(str(data["mci"])) if "mci" in data else None,
        exemptions=tuple(
            Exemption(
                code=str(e["code"]),
                label=Text.from_dict(e["label"]),
                when=fee_rule_parse(e["when"]),
                pays_percent=int(e.get("pays_percent", 0)),
            )
            for e in data.get("exemptions", ())
        ),
        refund=FeeRefund(
            refused=str(refund.get("refused", REFUND_NONE)),
            withdrawn_before_decision=str(refund.get("withdrawn_before_decision", REFUND_NONE)),
        ),
    )


def _information_parse(data: Mapping[str, Any]) -> Information:
    link = data.get("link")
    fee_note = data.get("fee_note")
    return Information(
        where=Text.from_dict(data["where"]),
        steps=tuple(Text.from_dict(t) for t in data["steps"]),
        eligibility=Text.from_dict(data["eligibility"]),
        documents=tuple(Text.from_dict(t) for t in data["documents"]),
        time_limit=Text.from_dict(data["time_limit"]),
        fee_note=Text.from_dict(fee_note) if fee_note else None,
        link=Link(url=link["url"], label=Text.from_dict(link["label"])) if link else None,
    )


def package_parse(data: Mapping[str, Any]) -> ServicePackage:
    """Build the typed package from validated data (see module docstring)."""
    terms = {
        lang: tuple(str(t) for t in (data.get("search_terms") or {}).get(lang, ()))
        for lang in LANGS
    }
    if data.get("kind", KIND_ONLINE) == KIND_INFORMATION:
        # The online-only parts are None: selectors hand information packages only to the
        # catalogue, which checks `kind` first (see the ServicePackage docstring).
        return ServicePackage(
            code=data["code"],
            version=int(data["version"]),
            titles=Text.from_dict(data["titles"]),
            summary=Text.from_dict(data["summary"]),
            guidance=Text.from_dict(data["guidance"]),
            legal_basis=Text.from_dict(data["legal_basis"]),
            agency=data["agency"],
            applicants=tuple(data["applicants"]),
            life_events=tuple(data.get("life_events", ())),
            fee=fee_parse(data["fee"]),
            form=None,  # type: ignore[arg-type]
            evidence=(),
            workflow=None,  # type: ignore[arg-type]
            result=None,  # type: ignore[arg-type]
            notifications=Notifications(),
            raw=data,
            kind=KIND_INFORMATION,
            search_terms=terms,
            information=_information_parse(data["information"]),
        )
    form = data["form"]
    workflow = data["workflow"]
    states = {
        name: State(
            name=name,
            deadline_working_days=spec.get("deadline_working_days"),
            clock=spec.get("clock"),
            final=bool(spec.get("final", False)),
            outcome=spec.get("outcome"),
        )
        for name, spec in workflow["states"].items()
    }
    actions = tuple(
        Action(
            name=a["name"],
            from_states=tuple(a["from"]),
            to=a["to"],
            roles=tuple(a["roles"]),
            requires_reason=bool(a.get("requires_reason", False)),
            grounds=tuple(a.get("grounds") or ()),
        )
        for a in workflow["actions"]
    )
    result = data["result"]
    return ServicePackage(
        code=data["code"],
        version=int(data["version"]),
        titles=Text.from_dict(data["titles"]),
        summary=Text.from_dict(data["summary"]),
        guidance=Text.from_dict(data["guidance"]),
        legal_basis=Text.from_dict(data["legal_basis"]),
        agency=data["agency"],
        applicants=tuple(data["applicants"]),
        life_events=tuple(data.get("life_events", ())),
        fee=fee_parse(data["fee"]),
        form=Form(
            schema=form["schema"],
            ui_order=tuple(form["ui_order"]),
            labels=_texts(form["labels"]),
            options={f: _texts(values) for f, values in (form.get("options") or {}).items()},
            hints=_texts(form.get("hints")),
        ),
        evidence=tuple(
            Evidence(
                name=e["name"],
                registry=e["registry"],
                fact=e["fact"],
                subject=e["subject"],
                show=tuple(e.get("show", ())),
                label=Text.from_dict(e["label"]) if e.get("label") else None,
            )
            for e in data["evidence"]
        ),
        workflow=Workflow(
            deadline_working_days=int(workflow["deadline_working_days"]),
            initial=workflow["initial"],
            states=states,
            actions=actions,
        ),
        result=Result(
            title=Text.from_dict(result["title"]),
            body=Text.from_dict(result["body"]),
            validity_days=result.get("validity_days"),
        ),
        notifications=Notifications(_texts(data["notifications"])),
        raw=data,
        search_terms=terms,
        refusal_grounds=tuple(
            RefusalGround(
                code=g["code"],
                label=Text.from_dict(g["label"]),
                legal_basis=Text.from_dict(g["legal_basis"]),
            )
            for g in data.get("refusal_grounds") or ()
        ),
    )


# --- JSON pointers (RFC 6901) -------------------------------------------------------------------


def pointer_join(parts: list[str] | tuple[str, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def pointer_split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def pointer_resolve(data: Any, pointer: str) -> Any:
    """The value at `pointer` in `data`, or None when there is none."""
    current = data
    for part in pointer_split(pointer):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
