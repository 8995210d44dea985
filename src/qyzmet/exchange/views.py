"""HTTP edge of the gateway: `/r1/listClients`, `/r1/keys` and `{METHOD} /r1/{serviceId}/{path}`.

Thin: turn the Django request into a `gateway.Call`, hand it over, copy the reply back. No
session, no CSRF: machine clients authenticate every message with its signature."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import selectors
from .gateway import Call, exchange_call


@require_GET
def list_clients(request: HttpRequest) -> HttpResponse:
    """listClients (public, as on an X-Road security server): members and subsystems."""
    instance = request.GET.get("xRoadInstance", "")
    return JsonResponse({"member": selectors.clients_list(instance=instance)})


# Keys change seldom; a client that cached the list re-reads it within five minutes (a new
# key is then known; a revoked one is already refused by the gateway itself, at once).
KEYS_MAX_AGE = 300


@require_GET
def keys(request: HttpRequest) -> HttpResponse:
    """The gateway's and the members' public keys (public, as certificates are), so that an
    outside client can check a signed reply with nothing but this list (docs/exchange.md)."""
    body = json.dumps(selectors.keys_published(), sort_keys=True, indent=1).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    conditional = get_conditional_response(request, etag=etag, response=response)
    # Django hands back the response it was given when no 304/412 applies: never None here.
    response = conditional if conditional is not None else response
    patch_cache_control(response, public=True, max_age=KEYS_MAX_AGE)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@csrf_exempt
def call(request: HttpRequest, rest: str) -> HttpResponse:
    headers = {k.lower(): v for k, v in request.headers.items()}
    reply = exchange_call(call=Call(
        method=request.method or "GET", path=request.path, query=request.META.get(
            "QUERY_STRING", ""), headers=headers, body=request.body,
    ))  # fmt: skip
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers.items():
        response[name] = value
    return response


