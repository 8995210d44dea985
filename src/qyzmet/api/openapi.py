"""The OpenAPI document tells the truth about errors.

django-ninja documents only what a handler returns; every error of this API is raised and
rendered as problem+json by the exception handlers of the API assembly, so ninja alone would
publish a contract without a single error status. `ContractAPI` finishes the document:

* the statuses every operation shares are added where they apply — 400 to all (bytes that are
  not text, unreadable bodies and cursors are refused before any handler runs), 401 to those
  that need a signed-in caller, 403 to the unsafe ones that accept the portal's session cookie
  (ninja checks the CSRF token before it tries the cookie, and refuses with 403), 422 to those
  that take input, 413 to those that take a body;
* each operation's own statuses (declared with `qyzmet.api.responses.problems`) and the shared
  ones answer the `Problem` schema with the media type application/problem+json, which is the
  Content-Type the API really sends.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from ninja.schema import NinjaGenerateJsonSchema

from qyzmet.core.problem import PROBLEM_CONTENT_TYPE

from .responses import PROBLEM_STATUSES, Problem

PROBLEM_REF = REF_TEMPLATE.format(model=Problem.__name__)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
SAFE_METHODS = {"get", "head", "options", "trace"}
SESSION_SCHEME = "SessionAuth"  # ninja names security schemes after the auth class


def shared_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The problem statuses an operation answers because of its shape, whatever it does."""
    statuses = {400}
    security = operation.get("security") or []
    if security:
        statuses.add(401)
    if method not in SAFE_METHODS and any(SESSION_SCHEME in s for s in security):
        statuses.add(403)  # a session cookie without a valid CSRF token (ninja's check)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if operation.get("requestBody"):
        statuses.add(413)
    return statuses


def problem_response(status: int) -> dict[str, Any]:
    return {
        "description": PROBLEM_STATUSES[status],
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def problems_document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shared problem statuses to every operation of `schema` and render all 4xx
    answers as problem+json with the `Problem` component (registered here if no operation
    declared a status of its own)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="serialization"
    )
    components.update(problem_schema.pop("$defs", {}))
    components[Problem.__name__] = problem_schema
    for path_item in schema.get("paths", {}).values():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses if 400 <= int(status) < 600}
            for status in sorted(declared | shared_statuses(method, operation)):
                responses.pop(str(status), None)
                responses[status] = problem_response(status)
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: int(kv[0])))
    return schema


class ContractAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI document declares the problem+json errors (see the module)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        problems_document(schema)
        return schema
