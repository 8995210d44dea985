"""The provider's page of access rights: who may call each of my organisation's services.

Open to administrators (`head` or `exchange_admin`) of an organisation that provides exchange
services; anyone else signed in gets 403, anonymous visitors are sent to sign in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from qyzmet.core.problem import Problem
from qyzmet.exchange import selectors, services
from qyzmet.ui.labels import REGISTRY_LABELS
from qyzmet.ui.titles import current_lang


def provider_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        orgs = services.admin_orgs(user=request.user)
        if not orgs:
            return render(request, "backoffice/exchange/forbidden.html", status=403)
        return view(request, orgs, *args, **kwargs)

    return guarded


@provider_admin_required
@require_GET
def rights(request: HttpRequest, orgs: set[str]) -> HttpResponse:
    lang = current_lang()
    rows = [
        {
            "service": s,
            "name": _service_name(s, lang),
            "rights": [
                {"right": r, "client": _system_name(r.client, lang)}
                for r in selectors.rights_of_service(service=s)
            ],
        }
        for s in selectors.service_list(provider_org_codes=orgs)
    ]
    clients = [(c.xroad_id, _system_name(c, lang)) for c in selectors.subsystem_list()]
    return render(request, "backoffice/exchange/rights.html",
                  {"rows": rows, "clients": clients})  # fmt: skip


# The client systems of the pack that are not registries, and the two services a registry
# publishes (see countries/kz/exchange.yaml), by the names a person knows them by.
SYSTEM_LABELS = {
    "qyzmet-portal": pgettext_lazy("exchange system", "the public services portal"),
    "police": pgettext_lazy("exchange system", "police information system"),
    "tax": pgettext_lazy("exchange system", "tax information system"),
}
SERVICE_LABELS = {
    "facts": pgettext_lazy("exchange service", "facts about a person or company"),
    "data": pgettext_lazy("exchange service", "registry records"),
    "events": pgettext_lazy("exchange service", "changes recorded in the registry"),
}


def _system_name(subsystem: Any, lang: str) -> str:
    """A member's system as a person names it: the organisation in the page's language and the
    registry or system it runs ("Ministry of Justice — register of legal entities"), never its
    X-Road identifier; a system these lists do not know reads as words."""
    member = subsystem.member
    organisation = getattr(member, f"name_{lang}", "") or member.name_en or member.code
    code = subsystem.code
    system = REGISTRY_LABELS.get(code) or SYSTEM_LABELS.get(code) or _words(code)
    return f"{organisation} — {system}"


def _service_name(service: Any, lang: str) -> str:
    label = SERVICE_LABELS.get(service.code) or _words(service.code)
    return f"{_system_name(service.subsystem, lang)}: {label}"


def _words(code: str) -> str:
    return code.replace("_", " ").replace("-", " ")


def _change(request: HttpRequest, orgs: set[str], grant: bool) -> HttpResponse:
    service_id = request.POST.get("service", "")
    client_id = request.POST.get("client", "")
    change = services.access_right_grant if grant else services.access_right_revoke
    try:
        change(actor=request.user, service_id=service_id, client_id=client_id, managed_orgs=orgs)
    except Problem as problem:
        if problem.status == 403:
            return render(request, "backoffice/exchange/forbidden.html", status=403)
        messages.error(request, problem.detail)
        return redirect("bo-exchange-rights")
    if grant:
        messages.success(request, _("Access granted to %(client)s.") % {"client": client_id})
    else:
        messages.success(request, _("Access revoked from %(client)s.") % {"client": client_id})
    return redirect("bo-exchange-rights")


@provider_admin_required
@require_POST
def grant(request: HttpRequest, orgs: set[str]) -> HttpResponse:
    return _change(request, orgs, True)


@provider_admin_required
@require_POST
def revoke(request: HttpRequest, orgs: set[str]) -> HttpResponse:
    return _change(request, orgs, False)
