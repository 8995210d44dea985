"""The 500 answer when DEBUG is off (`handler500` in qyzmet/urls.py).

Why our own: Django's default page is English-only, and the API would answer HTML instead of
problem+json. Neither may carry internals: the traceback goes to the log (the `django.request`
logger records it before this view runs), never to the client. With DEBUG on (the embedded
demo) Django and django-ninja show the traceback instead; the production settings refuse DEBUG.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.translation import get_language

from qyzmet.core.problem import PROBLEM_CONTENT_TYPE, Problem

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
_PLAIN = "Server error (500). The error has been recorded."


def server_error_problem() -> Problem:
    return Problem(
        500, "server_error", "Internal server error",
        "The server could not complete the request. The error has been recorded.",
    )  # fmt: skip


def server_error(request: HttpRequest) -> HttpResponse:
    """problem+json under /api/, otherwise a plain page in the visitor's language."""
    if request.path.startswith(API_PREFIX):
        body = server_error_problem().as_dict(request.path)
        return HttpResponseServerError(
            json.dumps(body, ensure_ascii=False), content_type=PROBLEM_CONTENT_TYPE
        )
    try:
        html = loader.get_template("500.html").render({"lang": get_language() or "kk"})
    except Exception:  # the page must not fail in turn (a broken template, static storage)
        log.exception("500.html could not be rendered")
        return HttpResponseServerError(_PLAIN, content_type="text/plain; charset=utf-8")
    return HttpResponseServerError(html)
