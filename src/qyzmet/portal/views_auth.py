"""Signing in on the portal: IIN + password, then the code from the SMS. Plain HTML forms that
work without JavaScript; errors are shown in an error summary and next to each field."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from qyzmet.core.problem import Problem
from qyzmet.identity.client import client_address_of
from qyzmet.identity.services import login_start, login_verify
from qyzmet.ui.language_switch import form_kept

SESSION_CHALLENGE = "login_challenge"
SESSION_PHONE_HINT = "login_phone_hint"
SESSION_NEXT = "login_next"
DEFAULT_NEXT = "/my/applications/"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Only a local path on this host: never send someone to another site after signing in."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith("//")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return DEFAULT_NEXT


def _client_ip(request: HttpRequest) -> str:
    return client_address_of(request)


def _with_retry_after(response: HttpResponse, problem: Problem | None) -> HttpResponse:
    """A refusal for too many attempts tells browsers and tools when to come back."""
    for name, value in (problem.headers if problem is not None else {}).items():
        response[name] = value
    return response


def _summary(errors: dict[str, str], general: str = "", general_field: str = "") -> list[dict]:
    """Items of the error summary: each links to the field it is about."""
    items = [{"field": name, "message": message} for name, message in errors.items()]
    if general:
        items.insert(0, {"field": general_field, "message": general})
    return items


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated and request.method == "GET":
        return HttpResponseRedirect(next_url)
    context: dict = {"next": next_url, "iin": "", "errors": {}, "summary": [], "locked": False}
    if request.method == "POST":
        iin = (request.POST.get("iin") or "").strip()
        password = request.POST.get("password") or ""
        context["iin"] = iin
        errors: dict[str, str] = {}
        if not iin:
            errors["iin"] = _("Enter your IIN.")
        if not password:
            errors["password"] = _("Enter your password.")
        general = ""
        refused: Problem | None = None
        if not errors:
            try:
                challenge = login_start(iin=iin, password=password, ip=_client_ip(request))
            except Problem as problem:
                for error in problem.errors:
                    errors[error.pointer.strip("/")] = error.detail
                if not problem.errors:
                    general = problem.detail
                    context["locked"] = problem.code == "account_locked"
                    refused = problem
            else:
                request.session[SESSION_CHALLENGE] = challenge.challenge
                request.session[SESSION_PHONE_HINT] = challenge.phone_hint
                request.session[SESSION_NEXT] = next_url
                return redirect("login-code")
        context["errors"] = errors
        context["general_error"] = general
        context["summary"] = _summary(errors, general, "iin")
        # 401 wrong IIN or password, 423 locked, 429 too many codes requested (with the wait).
        status = 400 if errors else (refused.status if refused is not None else 200)
        response = render(request, "portal/auth/login.html", context, status=status)
        return _with_retry_after(response, refused)
    kept = form_kept(request)  # back from the language switch: the IIN, never the password
    if kept is not None:
        context["iin"] = kept.get("iin", "")[:20]
    return render(request, "portal/auth/login.html", context)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    challenge = request.session.get(SESSION_CHALLENGE)
    if not challenge:
        return redirect("login")
    context: dict = {
        "phone_hint": request.session.get(SESSION_PHONE_HINT, ""),
        "errors": {},
        "summary": [],
        "restart": False,
        "ttl_minutes": max(1, int(settings.QYZMET_OTP_TTL_SECONDS) // 60),
    }
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()
        errors: dict[str, str] = {}
        refused: Problem | None = None
        status = 400
        if not code:
            errors["code"] = _("Enter the 6-digit code from the SMS.")
        elif not (code.isdigit() and len(code) == 6):
            errors["code"] = _("The code is 6 digits.")
        else:
            try:
                user = login_verify(challenge=challenge, code=code, ip=_client_ip(request))
            except Problem as problem:
                errors["code"] = problem.detail
                # Expired, used up or too many tries: this challenge is finished. Too many wrong
                # codes overall (429) leaves it waiting; a lock (423) ends it.
                context["restart"] = bool(
                    problem.extra.get("restart", problem.status != 429)
                )
                if problem.status in (423, 429):
                    refused, status = problem, problem.status
            else:
                next_url = _safe_next(request, request.session.get(SESSION_NEXT))
                for key in (SESSION_CHALLENGE, SESSION_PHONE_HINT, SESSION_NEXT):
                    request.session.pop(key, None)
                # login() gives the session a new key, so a key fixed before sign-in is useless.
                auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(next_url)
        if context["restart"]:
            for key in (SESSION_CHALLENGE, SESSION_PHONE_HINT):
                request.session.pop(key, None)
        context["errors"] = errors
        context["summary"] = _summary(errors)
        response = render(request, "portal/auth/login_code.html", context, status=status)
        return _with_retry_after(response, refused)
    return render(request, "portal/auth/login_code.html", context)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("/")
