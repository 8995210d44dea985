"""HTTP edge of the gateway: `/r1/listClients` and `{METHOD} /r1/{serviceId}/{path}`.

Thin: turn the Django request into a `gateway.Call`, hand it over, copy the reply back. No
session, no CSRF: machine clients authenticate every message with its signature."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from . import selectors
from .gateway import Call, exchange_call


@require_GET
def list_clients(request: HttpRequest) -> HttpResponse:
    """listClients (public, as on an X-Road security server): members and subsystems."""
    instance = request.GET.get("xRoadInstance", "")
    return JsonResponse({"member": selectors.clients_list(instance=instance)})


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


