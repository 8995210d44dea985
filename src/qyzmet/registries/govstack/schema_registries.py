"""Schema-described registries as Data API `Registry` descriptors.

A registry description (loaded by `govstack_registry_load`, stored in `SchemaRegistry`) is JSON:

    {"name": "registryname", "version": "111", "title": "…", "database_id": "MCTS",
     "key": "uuid", "person_field": "ID", "path_lookups": ["ID"],
     "usage_field": "PersonalData", "import_names": {"id": "ID"}, "page_size": 100,
     "public_test": true,
     "schema": {"type": "object", "properties": {…}, "required": […]}}

* `schema` — the JSON Schema (2020-12) of one record; each top-level property is a field. String,
  integer, number and boolean fields can be queried (exact match), searched (strings) and
  ordered; arrays and objects are stored and returned but not queried.
* `key` — the field that identifies a record (unique). A key with `"format": "uuid"` is
  generated when a client creates a record without one.
* `path_lookups` — further fields a path may name a record by (`/{ID}/delete`), after the key;
  a value that names several records is a 409.
* `person_field` — which field holds the ID of the person the record is about: reads are
  audited against that person and shown in their myPersonalDataUsage.
* `usage_field` — a field holding the reads of the person's data that the registry's previous
  system logged (GovStack PersonalDataUsage items), shown with our own audit trail's reads.
* `import_names` — property names a records file may use for a field (`{"id": "ID"}`): the
  GovStack suite's test-data.json writes `id` where its API calls write `ID`.
* `public_test` — synthetic conformance-test data; see `gateway.open_registry_verify`.

Why descriptors rather than a second implementation: the views, selectors and services of the
Data API stay the same code for every registry, so a schema-described registry answers exactly
as a built-in one (same errors, same audit, same consent check).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from .models import SchemaRecord
from .models import SchemaRegistry as SchemaRegistryRow
from .registries import REGISTRIES, Field, FieldInvalid, Registry

FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
REGISTRY_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$", re.IGNORECASE)
VERSION_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
DATABASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
# Path segments of /data/ that are not registries.
RESERVED_NAMES = {"MyPersonalDataUsage", "my", "myPersonalDataUsage"}

_KINDS = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}

DESCRIPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "version", "key", "schema"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": REGISTRY_NAME.pattern},
        "version": {"type": "string", "pattern": VERSION_TEXT.pattern},
        "title": {"type": "string", "maxLength": 200},
        "database_id": {"type": "string", "pattern": DATABASE_ID.pattern},
        "key": {"type": "string"},
        "person_field": {"type": "string"},
        "path_lookups": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "usage_field": {"type": "string"},
        "import_names": {"type": "object", "additionalProperties": {"type": "string"}},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
        "public_test": {"type": "boolean"},
        "schema": {
            "type": "object",
            "required": ["properties"],
            "properties": {"type": {"const": "object"}, "properties": {"type": "object"},
                           "required": {"type": "array", "items": {"type": "string"}}},
        },
    },
}  # fmt: skip


class DescriptionInvalid(ValueError):
    """A registry description that cannot be used; `errors` are (pointer, reason) pairs."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p or '/'}: {r}" for p, r in errors))
        self.errors = errors


def _pointer(path: Any) -> str:
    return "".join(f"/{p}" for p in path)


def description_validate(description: Any) -> dict[str, Any]:
    """The description, checked: its own shape, a valid JSON Schema, the named fields exist and
    can play their part, the name is free. DescriptionInvalid otherwise."""
    errors = [
        (_pointer(e.absolute_path), e.message)
        for e in Draft202012Validator(DESCRIPTION_SCHEMA).iter_errors(description)
    ]
    if errors:
        raise DescriptionInvalid(errors)
    schema = description["schema"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise DescriptionInvalid([("/schema" + _pointer(exc.absolute_path), exc.message)]) from exc
    props: dict[str, Any] = schema["properties"]
    for name, prop in props.items():
        if not FIELD_NAME.match(name) or "__" in name:
            errors.append((f"/schema/properties/{name}", "field names are letters, digits and _"))
        elif not isinstance(prop, dict):
            errors.append((f"/schema/properties/{name}", "must be a schema object"))
    name = description["name"]
    if name in REGISTRIES or name in RESERVED_NAMES:
        errors.append(("/name", f"“{name}” is taken by a built-in registry or endpoint"))
    key = description["key"]
    if _kind(props.get(key)) != "string":
        errors.append(("/key", "the key must be a string field of the schema"))
    for pointer, field_name in [("/person_field", description.get("person_field")),
                                *((f"/path_lookups/{i}", f) for i, f in
                                  enumerate(description.get("path_lookups", [])))]:  # fmt: skip
        if field_name is not None and _kind(props.get(field_name)) not in _KINDS:
            errors.append((pointer, f"“{field_name}” is not a scalar field of the schema"))
    usage = description.get("usage_field")
    if usage is not None and (props.get(usage) or {}).get("type") != "array":
        errors.append(("/usage_field", f"“{usage}” is not an array field of the schema"))
    for alias, target in description.get("import_names", {}).items():
        if target not in props:
            errors.append((f"/import_names/{alias}", f"“{target}” is not a field of the schema"))
    if errors:
        raise DescriptionInvalid(errors)
    return description


def _kind(prop: Any) -> str:
    """The Field kind of a schema property: a scalar type, else "json" (stored, not queried)."""
    if not isinstance(prop, dict):
        return "json"
    types = prop.get("type")
    if isinstance(types, list):
        scalar = [t for t in types if t != "null"]
        types = scalar[0] if len(scalar) == 1 else None
    return _KINDS.get(types, "json") if isinstance(types, str) else "json"


class JsonField(Field):
    """A field of a schema-described registry: values are checked against the property's own
    JSON Schema and stored as JSON (a date stays the string the client sent)."""

    def __init__(self, name: str, prop: dict[str, Any], *, required: bool, key: bool) -> None:
        kind = _kind(prop)
        nullable = "null" in prop.get("type", []) if isinstance(prop.get("type"), list) else False
        super().__init__(
            name, kind if kind != "json" else "string", required=required,
            read_only=bool(prop.get("readOnly")), nullable=nullable,
            orm=("key" if key else f"data__{name}") if kind != "json" else None,
        )  # fmt: skip
        object.__setattr__(self, "prop", prop)
        object.__setattr__(
            self, "validator", Draft202012Validator(prop, format_checker=FormatChecker())
        )

    def parse(self, value: Any) -> Any:
        if isinstance(value, str) and self.orm is not None:
            # Query-string values arrive as text: read numbers and booleans as the schema says.
            if self.kind == "integer" and value.strip().lstrip("-").isdigit():
                value = int(value)
            elif self.kind == "number":
                with contextlib.suppress(ValueError):
                    value = float(value)
        error = next(iter(self.validator.iter_errors(value)), None)  # type: ignore[attr-defined]
        if error is not None:
            where = _pointer(error.absolute_path)
            raise FieldInvalid(f"{where + ': ' if where else ''}{error.message}")
        return value

    def schema(self) -> dict[str, Any]:
        return dict(self.prop)  # type: ignore[attr-defined]


class SchemaRegistry(Registry):
    """A Data API descriptor over one `SchemaRegistry` row and its `SchemaRecord`s."""

    def __init__(self, row: SchemaRegistryRow) -> None:
        desc = row.description
        schema = desc["schema"]
        required = set(schema.get("required", []))
        fields = tuple(
            JsonField(name, prop, required=name in required, key=name == desc["key"])
            for name, prop in schema["properties"].items()
        )
        super().__init__(
            name=row.name, title=desc.get("title") or row.name, key=desc["key"], fields=fields,
            model=lambda: SchemaRecord, to_content=lambda obj: dict(obj.data),
            persons=lambda obj: [obj.person] if obj.person else [],
            version=row.version, path_lookups=tuple(desc.get("path_lookups", [])),
            page_size=int(desc.get("page_size", 20)),
        )  # fmt: skip
        self.row = row
        self.description = desc
        self.person_field = desc.get("person_field", "")
        self.usage_field = desc.get("usage_field", "")
        self.database_id = row.database_id
        self.public_test = row.public_test

    def queryset(self):
        return SchemaRecord.objects.filter(registry_id=self.row.pk)

    def is_person_field(self, spec: Field) -> bool:
        return bool(self.person_field) and spec.name == self.person_field

    def new(self) -> SchemaRecord:
        return SchemaRecord(registry_id=self.row.pk, data={})

    def key_default(self) -> str | None:
        key_prop = self.description["schema"]["properties"][self.key]
        return str(uuid.uuid4()) if key_prop.get("format") == "uuid" else None

    def assign(self, obj: Any, values: dict[str, Any]) -> None:
        data = dict(obj.data or {})
        for name, value in values.items():
            data[name] = value
            if name == self.key:
                obj.key = str(value)
        obj.data = data
        person = data.get(self.person_field) if self.person_field else None
        obj.person = str(person)[:64] if person not in (None, "") else ""

    def json_schema(self) -> dict[str, Any]:
        return dict(self.description["schema"])

    def record_validate(self, data: dict[str, Any]) -> list[tuple[str, str]]:
        """(pointer, reason) for every way `data` breaks the record schema."""
        validator = Draft202012Validator(self.json_schema(), format_checker=FormatChecker())
        return [(_pointer(e.absolute_path), e.message) for e in validator.iter_errors(data)]


def registry_find(name: str, version: str) -> SchemaRegistry | None:
    """The schema-described registry `name` at `version`."""
    row = SchemaRegistryRow.objects.filter(name=name, version=version).first()
    return SchemaRegistry(row) if row else None


def registry_versions(name: str) -> list[str]:
    return list(SchemaRegistryRow.objects.filter(name=name).values_list("version", flat=True))


def registry_by_database_id(database_id: str) -> SchemaRegistry | None:
    """The schema-described registry that GovStack's `DatabaseID` names (newest version)."""
    row = SchemaRegistryRow.objects.filter(database_id=database_id).order_by("-pk").first()
    return SchemaRegistry(row) if row else None
