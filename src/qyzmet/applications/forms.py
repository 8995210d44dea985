"""Validating form data against the package's JSON Schema (2020-12), every failure named by a
JSON pointer (RFC 6901) so the portal and the API can point at the field."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from qyzmet.core.problem import FieldError


def _pointer(path: list[Any]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    import json

    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


def form_errors(schema: dict, data: Any) -> list[FieldError]:
    """All validation failures, one per field, in document order."""
    import json

    validator = _validator(json.dumps(schema, sort_keys=True))
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path = [*path, missing]
            message = "This field is required."
        elif error.validator == "additionalProperties":
            message = error.message
        else:
            message = error.message
        errors.setdefault(_pointer(path), message)
    return [FieldError(pointer, detail) for pointer, detail in errors.items()]
