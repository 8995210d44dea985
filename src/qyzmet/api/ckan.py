"""The CKAN-compatible Action API at /api/3/action/<action> (thin views over
qyzmet.opendata.ckan). As CKAN does, an action takes its parameters from the query string (GET)
or from a JSON object body (POST), and answers {"help", "success", "result"}. Only read actions
exist; CKAN's write actions answer 403 "Authorization Error".

Errors carry CKAN's envelope (`success: false`, `error: {"__type", "message"}`) so CKAN clients
(ckanapi) raise their NotFound/ValidationError, and RFC 9457 members (`type`, `title`, `status`,
`detail`) with content type application/problem+json, as every Qyzmet API answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from qyzmet.core.problem import PROBLEM_CONTENT_TYPE
from qyzmet.opendata import ckan

from .ckan_openapi import ckan_openapi

BODY_MAX = 64 * 1024
WRITE_PREFIXES = ("create", "update", "patch", "delete", "purge", "member_", "follow", "unfollow")


def _json(body: dict[str, Any], status: int = 200, content_type: str = "application/json"):
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=content_type
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=60"
    return response


def _help(request: HttpRequest, action: str) -> str:
    """Where CKAN points `help`: help_show for the action."""
    url = reverse("ckan-action", kwargs={"action": "help_show"})
    return request.build_absolute_uri(f"{url}?name={quote(action)}")


def _error(request: HttpRequest, action: str, error: ckan.CkanError) -> HttpResponse:
    body = {
        "help": _help(request, action),
        "success": False,
        "error": {"__type": error.ckan_type, "message": error.detail, **(error.fields or {})},
        "type": f"https://qyzmet.dev/problems/ckan-{error.code.replace('_', '-')}",
        "title": error.ckan_type,
        "status": error.status,
        "detail": error.detail,
        "instance": request.path,
    }
    response = _json(body, error.status, PROBLEM_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response


def _language(request: HttpRequest, params: dict[str, Any]) -> str:
    lang = params.get("lang")
    if isinstance(lang, str) and lang.lower() in ckan.LANGUAGES:
        return lang.lower()
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = code.split("-")[0].lower()
        if code in ckan.LANGUAGES:
            return code
    return ckan.DEFAULT_LANGUAGE


def _params(request: HttpRequest) -> dict[str, Any]:
    if request.method == "GET":
        return {key: request.GET.get(key) for key in request.GET}
    if len(request.body) > BODY_MAX:
        raise ckan.ckan_error(400, "Bad Request", "The request body is larger than 64 KiB.")
    if not request.body.strip():
        return {key: request.POST.get(key) for key in request.POST}
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ckan.ckan_error(
            400, "Bad Request", "Bad request - JSON Error: the body is not valid JSON."
        ) from None
    if not isinstance(body, dict):
        raise ckan.ckan_error(
            400, "Bad Request", "Bad request - JSON Error: the body must be a JSON object."
        )
    return body


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def action(request: HttpRequest, action: str) -> HttpResponse:
    try:
        # Each action answers with its own shape, all of it JSON.
        function: Callable[..., object] | None = ckan.ACTIONS.get(action)
        if action == "help_show":
            function = _help_show
        if function is None:
            if action.startswith(WRITE_PREFIXES) or any(
                part in action for part in ("_create", "_update", "_patch", "_delete", "_purge")
            ):
                raise ckan.ckan_error(
                    403, "Authorization Error", f"Action {action} is not allowed: read only."
                )
            raise ckan.ckan_error(400, "Bad Request", f"Action name not known: {action}")
        params = _params(request)
        result = function(
            params, base_url=request.build_absolute_uri("/"), lang=_language(request, params)
        )
    except ckan.CkanError as error:
        return _error(request, action, error)
    return _json({"help": _help(request, action), "success": True, "result": result})


@require_safe
def api_root(request: HttpRequest) -> HttpResponse:
    """What CKAN answers at /api/3: the API version."""
    return _json({"version": 3})


def _help_show(params: dict[str, Any], *, base_url: str, lang: str) -> str:
    """CKAN's help_show: the documentation of the action named `name`."""
    name = params.get("name")
    if not isinstance(name, str) or (function := ckan.ACTIONS.get(name)) is None:
        raise ckan.not_found("Action name not known")
    return " ".join((function.__doc__ or name).split())


@require_safe
def openapi(request: HttpRequest) -> HttpResponse:
    return _json(ckan_openapi(server=request.build_absolute_uri("/api/3")))
