"""Parsing GovStack Data API request bodies: `{"query": {"content": {...}}}` and
`{"write": {"content": {...}}}`. A malformed body is a 400 problem whose `errors[].pointer`
names the offending member (RFC 6901), e.g. `/write/content/birth_date`."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q
from django.http import HttpRequest

from qyzmet.core.problem import FieldError, Problem

from .registries import FieldInvalid, Registry


def invalid(errors: list[FieldError], detail: str = "The request body is not valid.") -> Problem:
    return Problem(400, "govstack.invalid_body", "Bad request", detail, errors)


def body_json(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid([FieldError("", "The body is not JSON.")], "The body is not JSON.") from exc
    if not isinstance(body, dict):
        raise invalid([FieldError("", "The body must be a JSON object.")])
    return body


def section_content(body: dict[str, Any], section: str) -> dict[str, Any]:
    """body[section]["content"], a JSON object; else 400 naming what is missing."""
    part = body.get(section)
    if not isinstance(part, dict):
        raise invalid([FieldError(f"/{section}", f"“{section}” must be an object with “content”.")])
    content = part.get("content")
    if not isinstance(content, dict):
        raise invalid([FieldError(f"/{section}/content", "“content” must be an object.")])
    return content


def query_filter(registry: Registry, content: dict[str, Any], base: str = "/query/content") -> Q:
    """The records matching every field of `content` exactly; an empty query matches nothing
    (a client must say what it looks for — reading a whole registry is the list endpoint)."""
    if not content:
        raise invalid([FieldError(base, "Name at least one field to look for.")])
    errors: list[FieldError] = []
    q = Q()
    for name, value in content.items():
        spec = registry.field(name)
        pointer = f"{base}/{name}"
        if spec is None:
            errors.append(FieldError(pointer, f"The registry has no field “{name}”."))
            continue
        if spec.orm is None:
            errors.append(FieldError(pointer, f"The field “{name}” cannot be queried."))
            continue
        try:
            parsed = spec.parse(value)
        except FieldInvalid as exc:
            errors.append(FieldError(pointer, exc.reason))
            continue
        q &= Q(**{f"{spec.orm}__isnull": True}) if parsed is None else Q(**{spec.orm: parsed})
    if errors:
        raise invalid(errors)
    return q


def write_values(
    registry: Registry, content: dict[str, Any], *, creating: bool, base: str = "/write/content"
) -> dict[str, Any]:
    """The writable fields of `content`, parsed. Creating: every required field must be there."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, value in content.items():
        spec = registry.field(name)
        pointer = f"{base}/{name}"
        if spec is None:
            errors.append(FieldError(pointer, f"The registry has no field “{name}”."))
        elif spec.read_only:
            errors.append(FieldError(pointer, f"The field “{name}” is read-only."))
        else:
            try:
                values[name] = spec.parse(value)
            except FieldInvalid as exc:
                errors.append(FieldError(pointer, exc.reason))
    if creating:
        for spec in registry.fields:
            if spec.required and spec.name not in content:
                errors.append(FieldError(f"{base}/{spec.name}", "This field is required."))
    if not creating and not content:
        errors.append(FieldError(base, "Name at least one field to change."))
    if errors:
        raise invalid(errors)
    return values
