"""Open-data files for machines, anonymous: a version's CSV/JSON bytes exactly as stored (a
version never changes, so they are cached for a year and carry their SHA-256 as ETag), its
Frictionless Data Package descriptor, "latest" aliases that redirect to the current version, and
the DCAT-AP catalogue in JSON-LD and Turtle."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from qyzmet.core.problem import Problem
from qyzmet.opendata import dcat, downloads

YEAR = 365 * 24 * 3600


def _problem(problem: Problem, request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        json.dumps(problem.as_dict(instance=request.path)),
        status=problem.status,
        content_type="application/problem+json",
    )


@require_safe
def resource_download(request: HttpRequest, name: str, number: int, fmt: str) -> HttpResponse:
    try:
        file = downloads.resource_file(name=name, number=number, fmt=fmt)
    except Problem as problem:
        return _problem(problem, request)
    etag = f'"{file.sha256}"'
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(file.content, content_type=file.content_type)
        response["Content-Length"] = str(file.size)
        response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["ETag"] = etag
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    return response


@require_safe
def datapackage(request: HttpRequest, name: str, number: int) -> HttpResponse:
    try:
        descriptor = downloads.datapackage_descriptor(
            name=name, number=number, base_url=request.build_absolute_uri("/")
        )
    except Problem as problem:
        return _problem(problem, request)
    response = JsonResponse(descriptor, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
    return response


def _latest(request: HttpRequest, name: str, url_name: str, **kwargs: str) -> HttpResponse:
    try:
        number = downloads.current_version_number(name=name)
    except Problem as problem:
        return _problem(problem, request)
    response = redirect(reverse(url_name, kwargs={"name": name, "number": number, **kwargs}))
    patch_cache_control(response, public=True, max_age=60)
    return response


@require_safe
def resource_download_latest(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    return _latest(request, name, "opendata-download", fmt=fmt)


@require_safe
def datapackage_latest(request: HttpRequest, name: str) -> HttpResponse:
    return _latest(request, name, "opendata-datapackage")


@require_safe
def dcat_catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    body, content_type = dcat.catalog_serialised(fmt=fmt, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=300)
    return response
