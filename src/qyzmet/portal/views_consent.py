"""The person's consents (/my/consents/): which agreements registries ask consent for, the
person's answer to each (with its history), give and withdraw."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qyzmet.core.problem import Problem
from qyzmet.portal.signed_in import SignedInRequest
from qyzmet.registries.consent.selectors import consents_of_person
from qyzmet.registries.consent.services import consent_give, consent_withdraw


@login_required
@require_GET
@never_cache
def my_consents_view(request: SignedInRequest) -> HttpResponse:
    lang = (get_language() or "en")[:2]
    views = consents_of_person(subject_iin=request.user.iin)
    rows = [{"view": v, "title": v.title(lang), "text": v.text(lang)} for v in views]
    return render(request, "portal/consent/list.html", {"rows": rows})


def _answer(request: SignedInRequest, code: str, give: bool) -> HttpResponse:
    action = consent_give if give else consent_withdraw
    try:
        action(actor=request.user, subject_iin=request.user.iin, code=code)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        messages.error(request, problem.detail)
        return redirect("my-consents")
    messages.success(request, _("Consent given.") if give else _("Consent withdrawn."))
    return redirect("my-consents")


@login_required
@require_POST
def my_consent_give_view(request: SignedInRequest, code: str) -> HttpResponse:
    return _answer(request, code, give=True)


@login_required
@require_POST
def my_consent_withdraw_view(request: SignedInRequest, code: str) -> HttpResponse:
    return _answer(request, code, give=False)
