"""The interactive API documentation at /api/v1/docs, under the site's strict CSP.

django-ninja's Swagger page works, but the page is ours to keep safe: its settings are written
with Django's `json_script` (which escapes `<`, `>` and `&`, so no value can close the element)
into an inert `application/json` element, and a static script of ours starts Swagger UI from
there. Swagger UI's own files come from django-ninja's static directory, served by this site.
Nothing on the page is inline script or inline style, so the CSP needs no 'unsafe-inline'
(core/middleware.py), and the page does not change if a ninja release changes its template.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger


class SelfHostedSwagger(Swagger):
    template = "api/docs.html"
    # No validator badge: it would load an image from validator.swagger.io.
    default_settings = {**Swagger.default_settings, "validatorUrl": None}

    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        # A new dict per request: ninja's own render_page writes the URL into shared settings.
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, {"api": api, "swagger_settings": settings})
