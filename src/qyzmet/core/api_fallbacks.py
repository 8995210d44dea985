"""The framework's own answers on the API as problem+json.

Operations raise `Problem` and are rendered by the API's handlers, but two answers never reach an
operation: the URL resolver's 404 for a path no route matches, and django-ninja's 405 for a
method a path does not take. Both used to come back as an HTML page or a bare "Method not
allowed", which a client generated from the OpenAPI document cannot parse; the contract promises
application/problem+json for every error.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .input_guard import problem_json
from .problem import PROBLEM_CONTENT_TYPE, Problem

API_PREFIX = "/api/"

_FALLBACKS = {
    404: Problem(404, "not_found", "Not found", "No operation of the API has this path."),
    405: Problem(405, "method_not_allowed", "Method not allowed",
                 "This path does not take this method; the Allow header lists those it takes."),
}


class ApiFallbackProblemMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        problem = _FALLBACKS.get(response.status_code)
        if problem is None or not request.path.startswith(API_PREFIX):
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith((PROBLEM_CONTENT_TYPE, "application/json")):
            return response  # an operation's own answer
        replacement = problem_json(request, problem)
        if "Allow" in response:
            replacement["Allow"] = response["Allow"]
        return replacement
