"""The OpenAPI 3.1 description of the CKAN-compatible Action API (/api/3/openapi.json). It is
written by hand because CKAN's envelope ({"help", "success", "result"}) and its GET-or-POST
actions do not fit django-ninja's routers; tests validate it as OpenAPI 3.1."""

from __future__ import annotations

from typing import Any

from qyzmet.opendata import ckan

REF = "#/components/schemas/"
STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
TRANSLATED = {
    "type": "object",
    "description": "The text in each language (ckanext-fluent).",
    "properties": {code: STRING for code in ckan.LANGUAGES},
}


def _p(name: str, description: str, schema: dict | None = None, required: bool = False):
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or STRING,
    }


LANG = _p(
    "lang",
    "Language of titles (kk, ru, en); else Accept-Language; else en.",
    {"type": "string", "enum": list(ckan.LANGUAGES)},
)
ID = _p("id", "The UUID or the name.", required=True)
BOOL = {"type": "boolean"}

ACTIONS: dict[str, tuple[list[dict], dict]] = {
    "package_list": (
        [
            _p("limit", "At most this many names.", {"type": "integer", "minimum": 0}),
            _p("offset", "Skip this many names.", {"type": "integer", "minimum": 0}),
        ],
        {"type": "array", "items": STRING},
    ),
    "package_show": ([ID, LANG], {"$ref": REF + "Package"}),
    "package_search": (
        [
            _p("q", "Words, each found in a title, description or tag (any language)."),
            _p(
                "fq",
                "Filters: organization:<name> tags:<tag> res_format:<CSV|JSON> name:<name>"
                ' license_id:<id>, space-separated, values may be "quoted".',
            ),
            _p(
                "rows",
                "Page size.",
                {"type": "integer", "minimum": 0, "maximum": ckan.ROWS_MAX, "default": 10},
            ),
            _p("start", "Offset of the first result.", {"type": "integer", "minimum": 0}),
            _p(
                "sort",
                "Order.",
                {"type": "string", "enum": list(ckan.SORTS), "default": "metadata_modified desc"},
            ),
            _p("facet.field", 'JSON list of fields to count, e.g. ["organization","tags"].'),
            LANG,
        ],
        {"$ref": REF + "SearchResult"},
    ),
    "organization_list": (
        [_p("all_fields", "Whole organisations instead of names.", BOOL), LANG],
        {"type": "array", "items": {"oneOf": [STRING, {"$ref": REF + "Organization"}]}},
    ),
    "organization_show": (
        [ID, _p("include_datasets", "Add the organisation's datasets.", BOOL), LANG],
        {"$ref": REF + "Organization"},
    ),
    "resource_show": ([ID, LANG], {"$ref": REF + "Resource"}),
    "tag_list": (
        [_p("query", "Keep tags containing this."), _p("all_fields", "Tag objects.", BOOL)],
        {"type": "array", "items": {"oneOf": [STRING, {"type": "object"}]}},
    ),
    "status_show": ([], {"type": "object"}),
    "help_show": ([_p("name", "An action's name.", required=True)], STRING),
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "CKAN's error envelope and RFC 9457 problem details in one body.",
        "required": ["success", "error", "type", "title", "status"],
        "properties": {
            "help": STRING,
            "success": {"const": False},
            "error": {
                "type": "object",
                "required": ["__type", "message"],
                "properties": {
                    "__type": {
                        "type": "string",
                        "enum": [
                            "Not Found Error",
                            "Validation Error",
                            "Authorization Error",
                            "Bad Request",
                        ],
                    },
                    "message": STRING,
                },
                "additionalProperties": {"type": "array", "items": STRING},
            },
            "type": {"type": "string", "format": "uri"},
            "title": STRING,
            "status": {"type": "integer"},
            "detail": STRING,
            "instance": STRING,
        },
    },
    "Tag": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "id": STRING,
            "name": STRING,
            "display_name": STRING,
            "state": STRING,
            "vocabulary_id": NULLABLE_STRING,
        },
    },
    "Organization": {
        "type": "object",
        "required": ["id", "name", "title"],
        "properties": {
            "id": STRING,
            "name": STRING,
            "title": STRING,
            "title_translated": TRANSLATED,
            "type": STRING,
            "description": STRING,
            "image_url": STRING,
            "is_organization": BOOL,
            "state": STRING,
            "approval_status": STRING,
            "package_count": {"type": "integer"},
            "packages": {"type": "array", "items": {"$ref": REF + "Package"}},
        },
    },
    "Resource": {
        "type": "object",
        "required": ["id", "url", "format", "mimetype", "name", "hash", "size"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "package_id": {"type": "string", "format": "uuid"},
            "url": {"type": "string", "format": "uri"},
            "format": {"type": "string", "enum": ["CSV", "JSON"]},
            "mimetype": STRING,
            "name": STRING,
            "name_translated": TRANSLATED,
            "hash": {"type": "string", "description": "sha256:<hex> of the file's bytes"},
            "size": {"type": "integer"},
            "created": NULLABLE_STRING,
            "last_modified": NULLABLE_STRING,
            "position": {"type": "integer"},
            "version": {"type": "integer"},
        },
    },
    "Package": {
        "type": "object",
        "required": ["id", "name", "title", "resources", "tags", "organization"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": STRING,
            "title": STRING,
            "title_translated": TRANSLATED,
            "notes": STRING,
            "notes_translated": TRANSLATED,
            "license_id": STRING,
            "license_title": STRING,
            "license_url": STRING,
            "organization": {"$ref": REF + "Organization"},
            "owner_org": STRING,
            "metadata_created": NULLABLE_STRING,
            "metadata_modified": NULLABLE_STRING,
            "tags": {"type": "array", "items": {"$ref": REF + "Tag"}},
            "num_tags": {"type": "integer"},
            "resources": {"type": "array", "items": {"$ref": REF + "Resource"}},
            "num_resources": {"type": "integer"},
            "version": NULLABLE_STRING,
            "extras": {"type": "array", "items": {"type": "object"}},
        },
    },
    "SearchResult": {
        "type": "object",
        "required": ["count", "results"],
        "properties": {
            "count": {"type": "integer"},
            "sort": STRING,
            "results": {"type": "array", "items": {"$ref": REF + "Package"}},
            "facets": {"type": "object"},
            "search_facets": {"type": "object"},
        },
    },
}


def _envelope(result: dict) -> dict:
    return {
        "type": "object",
        "required": ["help", "success", "result"],
        "properties": {"help": STRING, "success": {"const": True}, "result": result},
    }


def _errors(*statuses: int) -> dict:
    names = {
        400: "Bad request or unknown action",
        404: "Not Found Error",
        409: "Validation Error",
        403: "Authorization Error",
    }
    return {
        str(status): {
            "description": names[status],
            "content": {"application/problem+json": {"schema": {"$ref": REF + "Error"}}},
        }
        for status in statuses
    }


def _operation(action: str, parameters: list[dict], result: dict, method: str) -> dict:
    function = ckan.ACTIONS.get(action)
    summary = (
        " ".join((function.__doc__ or action).split())
        if function
        else ("The documentation of an action.")
    )
    operation: dict[str, Any] = {
        "operationId": f"{action}_{method}",
        "summary": summary,
        "tags": ["CKAN Action API"],
        "responses": {
            "200": {
                "description": "The action's result in CKAN's envelope.",
                "content": {"application/json": {"schema": _envelope(result)}},
            },
            **_errors(400, 404, 409),
        },
    }
    if method == "get":
        operation["parameters"] = parameters
    else:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {p["name"]: p["schema"] for p in parameters},
                        "required": [p["name"] for p in parameters if p["required"]],
                    }
                }
            },
        }
    return operation


def ckan_openapi(*, server: str) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": {
            "get": {
                "operationId": "api_root",
                "summary": "The API version, as CKAN answers at /api/3.",
                "tags": ["CKAN Action API"],
                "responses": {
                    "200": {
                        "description": "The version.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"version": {"const": 3}},
                                }
                            }
                        },
                    }
                },
            }
        },
    }
    for action, (parameters, result) in ACTIONS.items():
        paths[f"/action/{action}"] = {
            method: _operation(action, parameters, result, method) for method in ("get", "post")
        }
    paths["/action/{write_action}"] = {
        "post": {
            "operationId": "write_actions",
            "summary": "CKAN's write actions (package_create, …): this API is read only.",
            "tags": ["CKAN Action API"],
            "parameters": [
                {"name": "write_action", "in": "path", "required": True, "schema": STRING}
            ],
            "responses": _errors(403),
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Qyzmet open data: CKAN Action API",
            "version": "3",
            "description": (
                "A read-only subset of the CKAN 2.10 Action API over the open-data catalogue. "
                "Every action is GET with query parameters or POST with a JSON object body. "
                "Errors carry CKAN's envelope and RFC 9457 problem details."
            ),
            "license": {"name": "CC-BY-4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {"schemas": SCHEMAS},
    }
