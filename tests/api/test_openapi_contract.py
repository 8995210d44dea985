"""The OpenAPI document is a true contract: one schema per name, the sign-in documented as it
works, every error status an operation can answer declared as problem+json, every string input
bounded. Walks the document as served at /api/v1/openapi.json."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from pydantic import BaseModel

from qyzmet.api.api import api
from qyzmet.api.responses import PROBLEM_STATUSES

from .contract import document, operations, resolve

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


def _models(annotation: Any, found: dict[str, set[type]]) -> None:
    for arg in typing.get_args(annotation):
        _models(arg, found)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        classes = found.setdefault(annotation.__name__, set())
        if annotation not in classes:
            classes.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, found)


def test_no_two_schemas_share_a_name():
    """django-ninja keys components by class name and lets the last one win: two classes of one
    name would silently document one operation with the other's shape."""
    found: dict[str, set[type]] = {}
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                wrappers = [*operation.models, *operation.response_models.values()]
                for wrapper in wrappers:
                    for field in getattr(wrapper, "model_fields", {}).values():
                        _models(field.annotation, found)
    shared = {name: sorted(c.__module__ for c in classes)
              for name, classes in found.items() if len(classes) > 1}  # fmt: skip
    assert shared == {}


def test_sign_in_verify_takes_challenge_and_code(doc):
    body = doc["paths"]["/api/v1/auth/verify"]["post"]["requestBody"]
    schema = resolve(doc, body["content"]["application/json"]["schema"])
    assert set(schema["properties"]) == {"challenge", "code"}
    assert set(schema["required"]) == {"challenge", "code"}
    verify = doc["paths"]["/api/v1/signatures/verify"]["post"]["requestBody"]
    assert set(resolve(doc, verify["content"]["application/json"]["schema"])["properties"]) == {
        "payload", "signature"
    }


def test_problem_schema_has_the_rfc_9457_members(doc):
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["properties"])
    assert {"code", "errors", "restart", "locked_until"} <= set(problem["properties"])
    assert set(problem["required"]) == {"type", "title", "status", "code"}
    assert problem.get("additionalProperties") is True  # extension members (RFC 9457 §3.2)


def test_every_operation_documents_its_problems(doc):
    missing = []
    for method, path, operation in operations(doc):
        responses = operation["responses"]
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        required = {400} | ({401} if operation.get("security") else set())
        required |= {422} if takes_input else set()
        required |= {413} if operation.get("requestBody") else set()
        session = any("SessionAuth" in s for s in operation.get("security") or [])
        required |= {403} if session and method != "get" else set()  # CSRF refusal
        missing += [f"{method.upper()} {path}: {s}" for s in sorted(required)
                    if str(s) not in responses]  # fmt: skip
        for status, response in responses.items():
            if int(status) < 400:
                continue
            assert int(status) in PROBLEM_STATUSES, (path, status)
            assert set(response["content"]) == {PROBLEM_JSON}, (method, path, status)
            ref = response["content"][PROBLEM_JSON]["schema"]["$ref"]
            assert ref == "#/components/schemas/Problem", (method, path, status)
    assert missing == []


def test_object_rules_and_throttles_are_documented(doc):
    """Spot checks of the statuses only the operation itself knows about."""
    expected = {
        ("post", "/api/v1/auth/login"): {401, 423, 429},
        ("post", "/api/v1/auth/verify"): {401, 423, 429},
        ("post", "/api/v1/signatures/requests"): {403, 409, 429},
        ("post", "/api/v1/signatures/requests/{request_id}/confirm"): {404, 409, 410, 429},
        ("get", "/api/v1/applications/{application_id}"): {404},
        ("post", "/api/v1/inbox/{application_id}/actions/{action}"): {403, 404, 409},
        ("get", "/api/v1/inbox"): {403},
        ("post", "/api/v1/appeals"): {413, 415},
        ("post", "/api/v1/applications/{application_id}/attachments"): {413, 415},
        ("get", "/api/v1/catalog/services/{code}"): {404},
    }
    for (method, path), statuses in expected.items():
        documented = {int(s) for s in doc["paths"][path][method]["responses"]}
        assert statuses <= documented, (method, path, statuses - documented)


def _unbounded_strings(doc: dict[str, Any], schema: dict[str, Any], where: str,
                       seen: frozenset[str] = frozenset()) -> list[str]:
    """Places in an input schema where a string has no maxLength (following $refs)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return _unbounded_strings(doc, resolve(doc, schema), where, seen | {name})
    found = []
    # A uuid or a date is bounded by its format (the parser refuses anything longer).
    bounded = (
        "maxLength" in schema or "enum" in schema
        or schema.get("format") in {"uuid", "date", "date-time"}
    )
    upload = schema.get("format") == "binary"  # a file part: bounded by 413 (request size)
    if schema.get("type") == "string" and not bounded and not upload:
        found.append(where)
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            found += _unbounded_strings(doc, sub, where, seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded_strings(doc, sub, f"{where}/{name}", seen)
    if isinstance(schema.get("items"), dict):
        found += _unbounded_strings(doc, schema["items"], f"{where}/*", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded_strings(doc, schema["additionalProperties"], f"{where}/{{}}", seen)
    return found


def test_every_string_input_has_a_max_length(doc):
    unbounded = []
    for method, path, operation in operations(doc):
        label = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            where = f"{label} {parameter['in']}:{parameter['name']}"
            unbounded += _unbounded_strings(doc, parameter["schema"], where)
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            unbounded += _unbounded_strings(doc, content["schema"], f"{label} {media}")
    assert unbounded == []


def test_ids_in_paths_fit_a_64_bit_key(doc):
    """A larger number cannot name a row; SQLite cannot even bind it (a 500 before)."""
    for method, path, operation in operations(doc):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            if parameter["in"] == "path" and schema.get("type") == "integer":
                assert (schema.get("minimum"), schema.get("maximum")) == (1, 2**63 - 1), (
                    method, path, parameter["name"]
                )
