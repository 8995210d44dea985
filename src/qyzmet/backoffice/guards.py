"""One guard for every back-office area: sign in first; then only people the area admits pass
(anyone else sees the plain "Access denied" page); a service's 404/403 problem becomes the
page's 404 or "Access denied" instead of a server error."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from qyzmet.core.problem import Problem

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/forbidden.html", status=403)


def area_required(admits: Callable[[Any], Any], *, pass_admitted: bool = False):
    """A view decorator for an area: `admits(user)` is falsy for people the area does not admit
    (e.g. the set of organisations they may work for); with `pass_admitted` the view receives
    that value after the request."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            admitted = admits(request.user)
            if not admitted:
                return forbidden(request)
            try:
                if pass_admitted:
                    return view(request, admitted, *args, **kwargs)
                return view(request, *args, **kwargs)
            except Problem as problem:
                if problem.status == 404:
                    raise Http404 from problem
                if problem.status == 403:
                    return forbidden(request)
                raise

        return guarded

    return decorate
