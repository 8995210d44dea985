"""The registries' GovStack Data API wire mappings: for each registry descriptor with
`data_api`, the record's fields (the schema a client writes and reads in `content`), the key, how
a record maps onto the registry's own tables and whose personal data a record is.

Why a hand-written mapping per registry rather than a generic model introspection: the wire
names are a published contract (clients break when a column is renamed), some fields are links to
other records (`mother_iin`), some are computed and read-only (`founders`, `owners`, `address`),
and each registry decides which of its fields identify a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from qyzmet.core.problem import FieldError
from qyzmet.exchange.registry_client import InvalidSubject, subject_validate
from qyzmet.registries.descriptor import registry_descriptor, registry_descriptors

VERSION = "1.0"


class FieldInvalid(ValueError):
    """A value in a GovStack body is not acceptable; `reason` says why, for the field error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "string"  # string | date | integer | number | boolean
    required: bool = False
    read_only: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    identifier: str = ""  # "iin" | "bin_or_iin": checked like the registry client checks it
    orm: str | None = None  # lookup path for queries and ordering; None → not queryable
    nullable: bool = False

    def parse(self, value: Any) -> Any:
        """The wire value as the Python value stored, or FieldInvalid."""
        if value is None:
            if self.nullable:
                return None
            raise FieldInvalid("must not be null")
        if self.kind == "string":
            if not isinstance(value, str):
                raise FieldInvalid("must be a string")
            value = value.strip()
            if self.required and not value:
                raise FieldInvalid("must not be empty")
            if self.max_length and len(value) > self.max_length:
                raise FieldInvalid(f"must be at most {self.max_length} characters")
            if self.choices and value not in self.choices:
                raise FieldInvalid("must be one of: " + ", ".join(self.choices))
            if self.identifier and value:
                try:
                    value = subject_validate(kind=self.identifier, subject=value)  # type: ignore[arg-type]
                except InvalidSubject as exc:
                    raise FieldInvalid(exc.reason) from exc
            return value
        if self.kind == "date":
            if not isinstance(value, str):
                raise FieldInvalid("must be a date (YYYY-MM-DD)")
            try:
                return dt.date.fromisoformat(value)
            except ValueError as exc:
                raise FieldInvalid("must be a date (YYYY-MM-DD)") from exc
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                    return int(value)
                raise FieldInvalid("must be an integer")
            return value
        if self.kind == "number":
            if isinstance(value, bool):
                raise FieldInvalid("must be a number")
            try:
                number = Decimal(str(value))
            except InvalidOperation as exc:
                raise FieldInvalid("must be a number") from exc
            if not number.is_finite():
                raise FieldInvalid("must be a number")
            return number
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise FieldInvalid("must be true or false")
            return value
        raise AssertionError(self.kind)

    def schema(self) -> dict[str, Any]:
        """This field as a JSON Schema property (for the registry's OpenAPI description)."""
        out: dict[str, Any] = {
            "string": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "integer": {"type": "integer"},
            "number": {"type": "string", "format": "decimal"},
            "boolean": {"type": "boolean"},
        }[self.kind].copy()
        if self.kind == "string" and self.read_only and self.orm is None:
            out = {}
        if self.max_length:
            out["maxLength"] = self.max_length
        if self.choices:
            out["enum"] = list(self.choices)
        if self.read_only:
            out["readOnly"] = True
        if self.nullable and "type" in out:
            out["type"] = [out["type"], "null"]
        return out


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass
class Registry:
    """One registry as the Data API sees it."""

    name: str
    title: str
    key: str
    fields: tuple[Field, ...]
    model: Callable[[], type[models.Model]]
    to_content: Callable[[Any], dict[str, Any]]
    persons: Callable[[Any], list[str]]
    related: tuple[str, ...] = ()  # select_related for the queryset
    prefetch: tuple[str, ...] = ()
    # Writes of link fields that are not plain columns: name → setter(obj, parsed value).
    setters: dict[str, Callable[[Any, Any], None]] = field(default_factory=dict)
    version: str = VERSION
    # Fields tried, after the key, when a path names a record (`/{ID}/delete`, `/{uuid}/…`).
    path_lookups: tuple[str, ...] = ()
    # The list endpoint's page size when the client does not say (`page_size`/`pageSize`).
    page_size: int = 20

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def is_person_field(self, spec: Field) -> bool:
        """Whether a value of this field names a person (so querying by it reads their data)."""
        return spec.identifier == "iin"

    def new(self) -> Any:
        """An unsaved record object."""
        return self.model()()

    def key_default(self) -> Any | None:
        """The key of a record created without one (None: the key is required)."""
        return None

    def queryset(self) -> models.QuerySet:
        qs = self.model()._default_manager.all()  # `objects`: no registry model has another
        if self.related:
            qs = qs.select_related(*self.related)
        if self.prefetch:
            qs = qs.prefetch_related(*self.prefetch)
        return qs

    def key_field(self) -> Field:
        found = self.field(self.key)
        assert found is not None
        return found

    def assign(self, obj: Any, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setter = self.setters.get(name)
            if setter is not None:
                setter(obj, value)
            else:
                spec = self.field(name)
                assert spec is not None and spec.orm is not None
                setattr(obj, spec.orm, "" if value is None and not spec.nullable else value)

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {f.name: f.schema() for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
        }


# --- population ---------------------------------------------------------------------------------


def _person_model():
    from qyzmet.registries.population.models import Person

    return Person


def _person_content(p: Any) -> dict[str, Any]:
    return {
        "iin": p.iin,
        "last_name": p.last_name,
        "first_name": p.first_name,
        "patronymic": p.patronymic,
        "birth_date": _iso(p.birth_date),
        "sex": p.sex,
        "citizenship": p.citizenship,
        "death_date": _iso(p.death_date),
        "mother_iin": p.mother.iin if p.mother_id else None,
        "father_iin": p.father.iin if p.father_id else None,
        "spouse_iin": p.spouse.iin if p.spouse_id else None,
        "address": p.address.full if p.address_id else None,
    }


def _link(attr: str) -> Callable[[Any, Any], None]:
    def set_link(person: Any, iin: str | None) -> None:
        if iin is None:
            setattr(person, attr, None)
            return
        other = _person_model().objects.filter(iin=iin).first()
        if other is None:
            raise FieldInvalid("no person with this IIN in the population registry")
        setattr(person, attr, other)

    return set_link


_POPULATION = Registry(
    name="population",
    title="Population registry (ГБД ФЛ)",
    key="iin",
    fields=(
        Field("iin", required=True, identifier="iin", orm="iin"),
        Field("last_name", required=True, max_length=100, orm="last_name"),
        Field("first_name", required=True, max_length=100, orm="first_name"),
        Field("patronymic", max_length=100, orm="patronymic"),
        Field("birth_date", "date", required=True, orm="birth_date"),
        Field("sex", required=True, choices=("M", "F"), orm="sex"),
        Field("citizenship", max_length=3, orm="citizenship"),
        Field("death_date", "date", nullable=True, orm="death_date"),
        Field("mother_iin", identifier="iin", nullable=True, orm="mother__iin"),
        Field("father_iin", identifier="iin", nullable=True, orm="father__iin"),
        Field("spouse_iin", identifier="iin", nullable=True, orm="spouse__iin"),
        Field("address", read_only=True, nullable=True, orm="address__full"),
    ),
    model=_person_model,
    to_content=_person_content,
    persons=lambda p: [p.iin],
    related=("mother", "father", "spouse", "address"),
    setters={
        "mother_iin": _link("mother"),
        "father_iin": _link("father"),
        "spouse_iin": _link("spouse"),
    },
)


# --- legal entities -----------------------------------------------------------------------------


def _entity_model():
    from qyzmet.registries.legal_entities.models import Entity

    return Entity


def _entity_content(e: Any) -> dict[str, Any]:
    return {
        "bin": e.bin,
        "name": e.name,
        "kind": e.kind,
        "registered_on": _iso(e.registered_on),
        "head_iin": e.head_iin,
        "address": e.address,
        "status": e.status,
        "activity_code": e.activity_code,
        "founders": [
            {"iin": f.iin, "share": str(f.share)}
            for f in sorted(e.founders.all(), key=lambda f: (-f.share, f.iin))
        ],
    }


_LEGAL_ENTITIES = Registry(
    name="legal_entities",
    title="Legal entities registry (ГБД ЮЛ)",
    key="bin",
    fields=(
        Field("bin", required=True, identifier="bin_or_iin", orm="bin"),
        Field("name", required=True, max_length=300, orm="name"),
        Field("kind", required=True, choices=("LLP", "JSC", "IE"), orm="kind"),
        Field("registered_on", "date", required=True, orm="registered_on"),
        Field("head_iin", required=True, identifier="iin", orm="head_iin"),
        Field("address", required=True, max_length=400, orm="address"),
        Field("status", choices=("active", "liquidated"), orm="status"),
        Field("activity_code", required=True, max_length=10, orm="activity_code"),
        Field("founders", read_only=True),
    ),
    model=_entity_model,
    to_content=_entity_content,
    # An individual entrepreneur's record is the person's own data; a company's is not.
    persons=lambda e: [e.bin] if e.kind == "IE" else [],
    prefetch=("founders",),
)


# --- vehicles -----------------------------------------------------------------------------------


def _vehicle_model():
    from qyzmet.registries.vehicles.models import Vehicle

    return Vehicle


def _vehicle_content(v: Any) -> dict[str, Any]:
    from qyzmet.registries.vehicles.selectors import vehicle_dict

    return {**vehicle_dict(v), "owner_iin": v.owner_iin}


_VEHICLES = Registry(
    name="vehicles",
    title="Vehicle registry",
    key="vin",
    fields=(
        Field("vin", required=True, max_length=17, orm="vin"),
        Field("plate", required=True, max_length=12, orm="plate"),
        Field("make", required=True, max_length=60, orm="make"),
        Field("model", required=True, max_length=60, orm="model"),
        Field("year", "integer", required=True, orm="year"),
        Field("colour", required=True, max_length=40, orm="colour"),
        Field("category", max_length=3, orm="category"),
        Field("registered_on", "date", required=True, orm="registered_on"),
        Field("status", choices=("registered", "deregistered"), orm="status"),
        Field("owner_iin", required=True, identifier="bin_or_iin", orm="owner_iin"),
    ),
    model=_vehicle_model,
    to_content=_vehicle_content,
    persons=lambda v: [v.owner_iin],
)


# --- real estate --------------------------------------------------------------------------------


def _property_model():
    from qyzmet.registries.real_estate.models import Property

    return Property


def _property_content(p: Any) -> dict[str, Any]:
    return {
        "cadastral_number": p.cadastral_number,
        "kind": p.kind,
        "address": p.address,
        "area": str(p.area),
        "registered_on": _iso(p.registered_on),
        "owners": [
            {"iin": o.owner_iin, "share": str(o.share), "since": _iso(o.since)}
            for o in sorted(p.owners.all(), key=lambda o: (-o.share, o.owner_iin))
        ],
    }


_KINDS = ("apartment", "house", "land", "commercial")

_REAL_ESTATE = Registry(
    name="real_estate",
    title="Real estate registry (legal cadastre)",
    key="cadastral_number",
    fields=(
        Field("cadastral_number", required=True, max_length=20, orm="cadastral_number"),
        Field("kind", required=True, choices=_KINDS, orm="kind"),
        Field("address", required=True, max_length=400, orm="address"),
        Field("area", "number", required=True, orm="area"),
        Field("registered_on", "date", required=True, orm="registered_on"),
        Field("owners", read_only=True),
    ),
    model=_property_model,
    to_content=_property_content,
    persons=lambda p: sorted({o.owner_iin for o in p.owners.all()}),
    prefetch=("owners",),
)


# --- criminal records ---------------------------------------------------------------------------


def _crime_model():
    from qyzmet.registries.criminal_records.models import CriminalRecord

    return CriminalRecord


def _crime_content(r: Any) -> dict[str, Any]:
    return {
        "record_number": r.record_number,
        "iin": r.iin,
        "article": r.article,
        "article_title": r.article_title,
        "verdict_date": _iso(r.verdict_date),
        "court": r.court,
        "sentence": r.sentence,
        "expunged_on": _iso(r.expunged_on),
    }


_CRIMINAL_RECORDS = Registry(
    name="criminal_records",
    title="Criminal records registry",
    key="record_number",
    fields=(
        Field("record_number", required=True, max_length=20, orm="record_number"),
        Field("iin", required=True, identifier="iin", orm="iin"),
        Field("article", required=True, max_length=30, orm="article"),
        Field("article_title", required=True, max_length=200, orm="article_title"),
        Field("verdict_date", "date", required=True, orm="verdict_date"),
        Field("court", required=True, max_length=200, orm="court"),
        Field("sentence", required=True, max_length=200, orm="sentence"),
        Field("expunged_on", "date", nullable=True, orm="expunged_on"),
    ),
    model=_crime_model,
    to_content=_crime_content,
    persons=lambda r: [r.iin],
)


# The wire mapping of each registry descriptor (`qyzmet.registries.<code>.descriptor`) that has
# `data_api`, keyed by the descriptor's code. Which registries exist is the descriptors' to say;
# `data_api_mismatches()` (run by `qyzmet check` and at startup, qyzmet.E009) refuses a
# descriptor exposed without a mapping here, or a mapping for no exposed descriptor.
REGISTRIES: dict[str, Registry] = {
    r.name: r for r in (_POPULATION, _LEGAL_ENTITIES, _VEHICLES, _REAL_ESTATE, _CRIMINAL_RECORDS)
}


def data_api_mismatches() -> list[str]:
    """What is wrong between the descriptors with `data_api` and the wire mappings above, as
    sentences naming the registry; [] when every exposed registry has exactly one mapping."""
    exposed = {code for code, d in registry_descriptors().items() if d.data_api}
    problems = [
        f"registry {code!r} declares data_api but has no GovStack wire mapping in "
        "qyzmet.registries.govstack.registries.REGISTRIES"
        for code in sorted(exposed - REGISTRIES.keys())
    ]
    problems += [
        f"GovStack wire mapping {code!r} has no registry descriptor with data_api"
        for code in sorted(REGISTRIES.keys() - exposed)
    ]
    return problems


def registry_get(name: str) -> Registry | None:
    """A built-in registry by its descriptor's code, when the descriptor exposes it as a Data
    API (schema-described ones: `schema_registries.registry_find`)."""
    descriptor = registry_descriptor(name)
    if descriptor is None or not descriptor.data_api:
        return None
    return REGISTRIES.get(name)


def audit_subject(person: str) -> str:
    """The audit trail's `subject_iin` for a person identifier: an IIN/BIN (12 digits) is kept,
    so the read shows in that person's "who looked at my data"; identifiers of other schemes
    (schema-described registries) are recorded on the row's object instead."""
    return person if len(person) == 12 and person.isdigit() else ""


def field_error(pointer: str, reason: str) -> FieldError:
    return FieldError(pointer, reason)
