"""Each registry's OpenAPI 3.1 description, built from its field list, so the published
description and the implementation cannot drift apart."""

from __future__ import annotations

from typing import Any

from .registries import VERSION, Registry


def _body(*sections: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {
            "type": "object",
            "required": list(sections),
            "properties": {
                s: {"type": "object", "required": ["content"],
                    "properties": {"content": {"$ref": "#/components/schemas/Record"}}}
                for s in sections
            },
        }}},
    }  # fmt: skip


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PROBLEM = {"description": "Error (application/problem+json)"}
_CONTENT = {"type": "object", "properties": {"content": {"$ref": "#/components/schemas/Record"}}}
_HEADERS = [
    {"name": "Information-Mediator-Client", "in": "header", "required": True,
     "schema": {"type": "string"}},
    {"name": "X-Road-UserId", "in": "header", "schema": {"type": "string"}},
    {"name": "X-Road-Purpose", "in": "header", "schema": {"type": "string"}},
]  # fmt: skip


def registry_openapi(registry: Registry) -> dict[str, Any]:
    base = f"/data/{registry.name}/{VERSION}"
    errors = {"400": _PROBLEM, "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM}
    list_params = [
        *_HEADERS,
        *({"name": n, "in": "query", "schema": {"type": t}} for n, t in (
            ("search", "string"), ("filter", "string"), ("ordering", "string"),
            ("page", "integer"), ("page_size", "integer"))),
    ]  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {"title": registry.title, "version": VERSION,
                 "description": "GovStack Digital Registries Data API 1.3.0"},
        "paths": {
            base: {"get": {"operationId": "listRecords", "parameters": list_params,
                           "responses": {"200": _ok({"type": "object", "properties": {
                               "count": {"type": "integer"}, "next": {"type": ["string", "null"]},
                               "previous": {"type": ["string", "null"]},
                               "results": {"type": "array",
                                           "items": {"$ref": "#/components/schemas/Record"}},
                           }}), **errors}}},
            f"{base}/create": {"post": {"operationId": "create", "parameters": _HEADERS,
                                        "requestBody": _body("write"),
                                        "responses": {"200": _ok(_CONTENT), "409": _PROBLEM,
                                                      **errors}}},
            f"{base}/read": {"post": {"operationId": "read", "parameters": _HEADERS,
                                      "requestBody": _body("query"),
                                      "responses": {"200": _ok(_CONTENT), **errors}}},
            f"{base}/exists": {"post": {"operationId": "exists", "parameters": _HEADERS,
                                        "requestBody": _body("query"),
                                        "responses": {"200": _ok({"type": "object"}), **errors}}},
            f"{base}/update": {"put": {"operationId": "update", "parameters": _HEADERS,
                                       "requestBody": _body("query", "write"),
                                       "responses": {"200": _ok(_CONTENT), **errors}}},
            f"{base}/update-entries": {"put": {"operationId": "updateEntries",
                                               "parameters": _HEADERS,
                                               "requestBody": _body("query", "write"),
                                               "responses": {"200": _ok({"type": "object"}),
                                                             **errors}}},
            f"{base}/update-or-create": {"put": {"operationId": "updateOrCreate",
                                                 "parameters": _HEADERS,
                                                 "requestBody": _body("query", "write"),
                                                 "responses": {"200": _ok(_CONTENT), **errors}}},
            f"{base}/delete": {"delete": {"operationId": "delete", "parameters": _HEADERS,
                                          "requestBody": _body("query"),
                                          "responses": {"204": {"description": "Deleted"},
                                                        **errors}}},
            f"{base}/{{ID}}/delete": {"delete": {"operationId": "deleteById",
                                                 "parameters": _HEADERS,
                                                 "responses": {"204": {"description": "Deleted"},
                                                               **errors}}},
            f"{base}/{{ID}}/read-value/{{field}}": {"get": {
                "operationId": "readValue", "parameters": _HEADERS,
                "responses": {"200": {"description": "The value"}, **errors}}},
            f"{base}/facts/{{fact}}": {"get": {
                "operationId": "fact", "parameters": [
                    *_HEADERS, {"name": "subject", "in": "query", "required": True,
                                "schema": {"type": "string"}}],
                "responses": {"200": _ok({"type": "object"}), **errors}}},
        },
        "components": {"schemas": {"Record": registry.json_schema()}},
    }  # fmt: skip
