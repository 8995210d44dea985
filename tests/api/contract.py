"""Reading the API's own OpenAPI document: resolving references, finding an operation's
documented responses, validating a body against what the document promises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from django.test import Client

METHODS = ("get", "put", "post", "delete", "patch")


def document() -> dict[str, Any]:
    """The document exactly as clients download it."""
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200, response.content[:500]
    return response.json()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def validate(doc: dict[str, Any], schema: dict[str, Any], body: Any) -> None:
    """Validate `body` against `schema` with the document's components in reach of its $refs."""
    jsonschema.validate(body, {**schema, "components": doc["components"]})


def documented_response(
    doc: dict[str, Any], method: str, path: str, status: int, content_type: str
) -> dict[str, Any]:
    """The schema the document gives for this answer; fails when it documents no such answer."""
    responses = doc["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    content = responses[str(status)].get("content", {})
    media = content_type.split(";", 1)[0].strip()
    assert media in content, f"{method.upper()} {path} {status}: {media} not in {list(content)}"
    return content[media]["schema"]
