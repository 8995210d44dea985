"""Writing registry records through the Data API: create, update, delete.

Each write is atomic with its audit row (who: the client subsystem and end user the gateway
forwarded; what: the registry, the record key and the fields written). A key or other unique value
that already exists is a 409, not a 500."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, transaction

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import FieldError, Problem

from .bodies import invalid
from .gateway import GatewayContext
from .registries import FieldInvalid, Registry, audit_subject


def _assign(registry: Registry, obj: Any, values: dict[str, Any], base: str) -> None:
    errors = []
    for name, value in values.items():
        try:
            registry.assign(obj, {name: value})
        except FieldInvalid as exc:
            errors.append(FieldError(f"{base}/{name}", exc.reason))
    if errors:
        raise invalid(errors)


def _save(obj: Any, *, creating: bool) -> None:
    try:
        with transaction.atomic():
            obj.save(force_insert=creating)
    except IntegrityError as exc:
        raise Problem(
            409, "govstack.conflict", "Conflict",
            "A record with the same key or unique value already exists.",
        ) from exc  # fmt: skip


def _audit(registry: Registry, obj: Any, *, op: str, context: GatewayContext,
           fields: list[str]) -> None:  # fmt: skip
    persons = registry.persons(obj)
    audit_record(
        actor=None,
        kind="change",
        action=f"govstack.{registry.name}.{op}",
        object_type=f"registry.{registry.name}",
        object_id=str(getattr(obj, registry.key_field().orm or "pk"))[:64],
        subject_iin=audit_subject(persons[0]) if len(persons) == 1 else "",
        purpose=context.purpose,
        data=context.audit_data(fields),
    )


@transaction.atomic
def record_create(
    *, registry: Registry, values: dict[str, Any], context: GatewayContext,
    base: str = "/write/content",
) -> Any:  # fmt: skip
    """A new record from parsed `values` (all required fields present; a registry whose key is
    generated makes one when the client gives none)."""
    key_orm = registry.key_field().orm
    assert key_orm is not None  # a registry's key is always a queryable column
    if values.get(registry.key) is None:
        generated = registry.key_default()
        if generated is None:
            raise invalid([FieldError(f"{base}/{registry.key}", "This field is required.")])
        values = {**values, registry.key: generated}
    if registry.queryset().filter(**{key_orm: values[registry.key]}).exists():
        raise Problem(
            409, "govstack.exists", "Conflict",
            f"A record with {registry.key} “{values[registry.key]}” already exists.",
        )  # fmt: skip
    obj = registry.new()
    _assign(registry, obj, values, base)
    _save(obj, creating=True)
    _audit(registry, obj, op="create", context=context, fields=sorted(values))
    return registry.queryset().get(pk=obj.pk)


@transaction.atomic
def record_update(
    *, registry: Registry, obj: Any, values: dict[str, Any], context: GatewayContext
) -> Any:
    """Change the given fields of one record (others stay as they are)."""
    _assign(registry, obj, values, "/write/content")
    _save(obj, creating=False)
    _audit(registry, obj, op="update", context=context, fields=sorted(values))
    return registry.queryset().get(pk=obj.pk)


@transaction.atomic
def record_delete(*, registry: Registry, obj: Any, context: GatewayContext) -> None:
    _audit(registry, obj, op="delete", context=context, fields=[])
    obj.delete()


# --- schema-described registries ----------------------------------------------------------------


class RecordsInvalid(ValueError):
    """Records that cannot be loaded; `errors` are (pointer, reason) pairs, e.g.
    ("/records/3/FirstName", "123 is not of type 'string'")."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        shown = "; ".join(f"{p}: {r}" for p, r in errors[:20])
        super().__init__(shown + (f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""))
        self.errors = errors


@dataclass(frozen=True)
class LoadResult:
    registry: str
    version: str
    registry_created: bool
    created: int
    updated: int
    unchanged: int
    removed: int


@transaction.atomic
def schema_registry_load(
    *, description: dict[str, Any], records: list[Any] | None = None, replace: bool = False
) -> LoadResult:
    """Create or update a schema-described registry and upsert its records by key: loading the
    same files twice changes nothing. `replace` also removes the records the file does not list
    (to reset a test registry). Every record is checked against the record schema first; one
    bad record loads nothing (DescriptionInvalid / RecordsInvalid)."""
    from .models import SchemaRecord
    from .models import SchemaRegistry as SchemaRegistryRow
    from .schema_registries import DescriptionInvalid, SchemaRegistry, description_validate

    description = description_validate(description)
    database_id = description.get("database_id", "")
    if (
        database_id
        and SchemaRegistryRow.objects.filter(database_id=database_id)
        .exclude(name=description["name"])
        .exists()
    ):
        raise DescriptionInvalid(
            [("/database_id", f"“{database_id}” is another registry's database ID")]
        )
    row, registry_created = SchemaRegistryRow.objects.get_or_create(
        name=description["name"], version=description["version"],
        defaults={"key": description["key"], "description": description},
    )  # fmt: skip
    row.key = description["key"]
    row.person_field = description.get("person_field", "")
    row.database_id = description.get("database_id", "")
    row.title = description.get("title", "")
    row.public_test = bool(description.get("public_test", False))
    row.description = description
    row.save()
    registry = SchemaRegistry(row)
    aliases: dict[str, str] = description.get("import_names", {})
    errors: list[tuple[str, str]] = []
    wanted: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(records or []):
        if not isinstance(raw, dict):
            errors.append((f"/records/{i}", "a record must be a JSON object"))
            continue
        record = cast("dict[str, Any]", raw)  # a JSON object: its keys are strings
        data = {aliases.get(k, k): v for k, v in record.items()}
        errors.extend((f"/records/{i}{p}", reason) for p, reason in registry.record_validate(data))
        key = data.get(registry.key)
        if not isinstance(key, str) or not key:
            errors.append((f"/records/{i}/{registry.key}", "the key is required to load a record"))
        elif key in wanted:
            errors.append((f"/records/{i}/{registry.key}", f"the key “{key}” appears twice"))
        else:
            wanted[key] = data
    if errors:
        raise RecordsInvalid(errors)
    existing = {r.key: r for r in registry.queryset()}
    created = updated = unchanged = 0
    for key, data in wanted.items():
        obj = existing.get(key) or registry.new()
        if obj.pk is not None and obj.data == data:
            unchanged += 1
            continue
        obj.data = {}
        registry.assign(obj, data)
        obj.save()
        if key in existing:
            updated += 1
        else:
            created += 1
    removed = 0
    if replace:
        stale = [pk for k, pk in ((k, r.pk) for k, r in existing.items()) if k not in wanted]
        removed = SchemaRecord.objects.filter(pk__in=stale).delete()[0] if stale else 0
    audit_record(
        actor=None, kind="change", action="govstack.registry_load",
        object_type="govstack.registry", object_id=f"{row.name}/{row.version}"[:64],
        data={"created": created, "updated": updated, "unchanged": unchanged,
              "removed": removed, "registry_created": registry_created,
              "public_test": row.public_test},
    )  # fmt: skip
    return LoadResult(row.name, row.version, registry_created, created, updated, unchanged,
                      removed)  # fmt: skip
