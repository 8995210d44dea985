"""Writing registry records through the Data API: create, update, delete.

Each write is atomic with its audit row (who: the client subsystem and end user the gateway
forwarded; what: the registry, the record key and the fields written). A key or other unique value
that already exists is a 409, not a 500."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from qyzmet.audit.services import audit_record
from qyzmet.core.problem import FieldError, Problem

from .bodies import invalid
from .gateway import GatewayContext
from .registries import FieldInvalid, Registry


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
        object_id=str(getattr(obj, registry.key_field().orm or "pk")),
        subject_iin=persons[0] if len(persons) == 1 else "",
        purpose=context.purpose,
        data=context.audit_data(fields),
    )


@transaction.atomic
def record_create(
    *, registry: Registry, values: dict[str, Any], context: GatewayContext,
    base: str = "/write/content",
) -> Any:  # fmt: skip
    """A new record from parsed `values` (all required fields present)."""
    key_orm = registry.key_field().orm
    if registry.queryset().filter(**{key_orm: values[registry.key]}).exists():
        raise Problem(
            409, "govstack.exists", "Conflict",
            f"A record with {registry.key} “{values[registry.key]}” already exists.",
        )  # fmt: skip
    obj = registry.model()()
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
