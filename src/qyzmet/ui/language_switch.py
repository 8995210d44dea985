"""The header's language switch on a page with a form: what was typed survives the switch.

The plain switch (`/i18n/setlang/`) reloads the page, and whatever a person had typed is gone. On
a page with a form, the switch's controls belong to that form instead
(`qyzmet/_form_language_switch.html`, `form="<the form's id>"`): pressing "Switch" submits the
form's fields to `form_language_switch_view` (`formaction`, no JavaScript), which keeps them in
the session for that page, sets the language as Django's `set_language` does, and sends the
person back to the page. The page's GET view takes them back with `form_kept` and shows them.

Nothing is validated or saved. Secrets are never kept: passwords, one-time codes and tokens are
dropped by name, and so are files (a browser never refills a file field). What is kept is
bounded (fields and characters), lives only until the page is next shown, and only for the page
the switch was pressed on."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SESSION_KEY = "ui.form_kept"
NEXT_FIELD = "switch_next"
_SECRET = re.compile(r"pass|code|otp|pin|secret|token|csrf|key", re.IGNORECASE)
_OWN = {"language", NEXT_FIELD}
MAX_FIELDS = 60
MAX_CHARS = 20_000


def _safe_path(request: HttpRequest, candidate: str) -> str:
    if (
        candidate.startswith("/")
        and not candidate.startswith("//")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return "/"


def language_cookie_set(response: HttpResponse, lang: str) -> None:
    """Store the chosen language exactly as Django's `set_language` does."""
    if lang in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )  # fmt: skip


@require_POST
def form_language_switch_view(request: HttpRequest) -> HttpResponse:
    """POST /i18n/keep/: keep the posted fields for the page in `switch_next`, switch the
    language, and go back to that page."""
    target = _safe_path(request, request.POST.get(NEXT_FIELD, ""))
    kept: dict[str, list[str]] = {}
    budget = MAX_CHARS
    for name in list(request.POST)[:MAX_FIELDS]:
        if name in _OWN or _SECRET.search(name):
            continue
        values = [v[:budget] for v in request.POST.getlist(name)]
        budget -= sum(len(v) for v in values)
        kept[name] = values
        if budget <= 0:
            break
    request.session[SESSION_KEY] = {"path": target.split("?", 1)[0], "values": kept}
    response = redirect(target)
    language_cookie_set(response, request.POST.get("language", ""))
    return response


def form_kept(request: HttpRequest) -> QueryDict | None:
    """What was typed on this page before the language was switched (once), or None."""
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("path") != request.path:
        return None
    del request.session[SESSION_KEY]
    values = QueryDict(mutable=True)
    for name, items in (kept.get("values") or {}).items():
        values.setlist(name, [str(v) for v in items])
    return values
