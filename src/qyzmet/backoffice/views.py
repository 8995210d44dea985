"""The officer's back office: the inbox and the case page.

Only officers and heads of an agency get in (anyone else signed in sees 403; anonymous visitors
are sent to sign in). Inside, an officer sees only their agencies' cases: the selectors return
'not found' for anything else, which the pages show as 404, so a URL never reveals that another
agency's case exists."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qyzmet.ai.selectors import user_is_ai_admin
from qyzmet.appeals.services import handler_organisations, user_can_triage
from qyzmet.applications import selectors as app_selectors
from qyzmet.applications import services as app_services
from qyzmet.budgets.services import publishing_organisations as budget_organisations
from qyzmet.catalog.selectors import service_search
from qyzmet.core.problem import Problem
from qyzmet.dialogue.services import answering_organisations, moderated_organisations
from qyzmet.documents.selectors import document_for_source
from qyzmet.exchange.services import admin_orgs
from qyzmet.identity.selectors import organisation_names, user_roles
from qyzmet.opendata.services import UPLOAD_ROLES as OPEN_DATA_ROLES
from qyzmet.participation.services import staff_organisations as legal_act_organisations
from qyzmet.payments.finance import desk_scope as finance_desk_scope
from qyzmet.ui.answers import decision_words
from qyzmet.ui.forms import field_order, value_display
from qyzmet.ui.labels import (
    STATUS_LABELS,
    action_button,
    action_label,
    evidence_missing_rows,
    facts_rows,
    status_label,
)
from qyzmet.ui.titles import PackageTitles, current_lang

PAGE_SIZE = 25
REASON_MAX_CHARS = 4000


def back_office_areas(*, user: Any) -> list[dict[str, str]]:
    """The parts of the back office this person may use, each with a line saying what it is
    for. Built from the same role checks the areas themselves apply, so the home page never
    offers a link that ends in "Access denied" (the roles are cached on the user: no queries)."""
    areas = []
    if app_selectors.officer_agencies(user=user):
        areas.append({"url": reverse("bo-inbox"), "title": _("Applications"),
                      "text": _("Cases of your agency, earliest deadline first.")})
    if handler_organisations(user=user) or user_can_triage(user=user):
        areas.append({"url": reverse("bo-appeals-inbox"), "title": _("Citizens' appeals"),
                      "text": _("Appeals sent to your organisation, to answer in time.")})
    if user_can_triage(user=user):
        areas.append({"url": reverse("bo-appeals-triage"), "title": _("Appeals triage"),
                      "text": _("Appeals the routing model was not sure about: "
                                "choose who answers them.")})
    if user_is_ai_admin(user=user):
        areas.append({"url": reverse("bo-ai"), "title": _("AI model registry"),
                      "text": _("Versions, quality figures and thresholds of the models.")})
    if admin_orgs(user=user):
        areas.append({"url": reverse("bo-exchange-rights"), "title": _("Data exchange access"),
                      "text": _("Which systems may call your organisation's services.")})
    if finance_desk_scope(user=user) is not None:
        areas.append({"url": reverse("bo-finance"), "title": _("Finance desk"),
                      "text": _("Fees paid, refunds, bank statements and reconciliation.")})
    areas.extend(_open_government_areas(user=user))
    return areas


def _open_government_areas(*, user: Any) -> list[dict[str, str]]:
    """The agency's side of open government (each area applies the same check itself)."""
    areas = []
    if legal_act_organisations(user=user):
        areas.append({"url": reverse("bo-legal-acts"), "title": _("Draft legal acts"),
                      "text": _("Drafts for public comment: versions, comments, answers.")})
    if moderated_organisations(user=user) or answering_organisations(user=user):
        areas.append({"url": reverse("bo-dialogue-inbox"), "title": _("Open dialogue"),
                      "text": _("Citizens' public questions to your head, by deadline.")})
    if any(roles & OPEN_DATA_ROLES for roles in user_roles(user=user).values()):
        areas.append({"url": reverse("bo-opendata"), "title": _("Open data"),
                      "text": _("Your organisation's datasets: publish and update them.")})
    if budget_organisations(user=user):
        areas.append({"url": reverse("bo-budgets"), "title": _("Open budgets"),
                      "text": _("Publish budget programmes and their execution.")})
    return areas


def officer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Sign in first; then only people holding `officer` or `head` in some agency pass."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not app_selectors.officer_agencies(user=request.user):
            return render(request, "backoffice/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return guarded


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The back office's front door. An officer lands on the agency's cases (earliest deadline
    first, with filters and keyset pages) under links to the other areas they may use; someone
    who works only on appeals, models or exchange rights gets just those links; anyone else 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    areas = back_office_areas(user=request.user)
    agencies = app_selectors.officer_agencies(user=request.user)
    if not agencies:
        if not areas:
            return render(request, "backoffice/forbidden.html", status=403)
        return render(request, "backoffice/home.html", {"areas": areas})
    lang = current_lang()
    services = [s for s in service_search() if s.agency_code in agencies]
    service_codes = {s.code for s in services}
    filters = {
        "state": request.GET.get("state", ""),
        "service": request.GET.get("service", ""),
        "overdue": request.GET.get("overdue", ""),
        "status": request.GET.get("status", "open") or "open",
    }
    if filters["state"] not in STATUS_LABELS:
        filters["state"] = ""
    if filters["service"] not in service_codes:
        filters["service"] = ""
    if filters["overdue"] not in ("yes", "no"):
        filters["overdue"] = ""
    if filters["status"] not in ("open", "closed", "all"):
        filters["status"] = "open"
    cursor = request.GET.get("cursor") or None
    try:
        page = app_selectors.inbox_list(
            user=request.user,
            state=filters["state"] or None,
            service_code=filters["service"] or None,
            overdue=_flag(filters["overdue"]),
            status=filters["status"],
            cursor=cursor,
            limit=PAGE_SIZE,
        )
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    titles = PackageTitles(lang)
    today = timezone.localdate()
    soon = app_selectors.deadline_soon_limit(today=today)
    rows = [
        {
            "application": a,
            "service": titles.title(a.service_version_id),
            "applicant": a.applicant.full_name or a.applicant_iin,
            "state": status_label(a.state),
            "paused": a.paused_at is not None,
            **_deadline_marks(a, today=today, soon=soon),
        }
        for a in page.items
    ]
    next_url = ""
    if page.next_cursor:
        next_url = "?" + urlencode({**filters, "cursor": page.next_cursor})
    return render(request, "backoffice/inbox.html", {
        "rows": rows,
        "filters": filters,
        "states": [(name, str(label)) for name, label in STATUS_LABELS.items()
                   if name != "draft"],
        "services": [(s.code, s.title(lang)) for s in services],
        "next_url": next_url,
        "is_first_page": cursor is None,
        "areas": areas if len(areas) > 1 else [],
    })


def _deadline_marks(application: Any, *, today: Any, soon: Any) -> dict[str, bool]:
    """Overdue (the deadline has passed) or due soon (within two working days), for an open case
    whose clock runs; a paused case waits for the applicant and gets neither."""
    running = bool(application.is_open and application.paused_at is None and application.due_date)
    overdue = running and application.due_date < today
    return {"overdue": overdue, "due_soon": running and not overdue
            and application.due_date <= soon}


def _ranked_actions(workflow: Any, names: list[str]) -> list[dict[str, Any]]:
    """The actions open to the officer, the usual next step first: one that moves the case on
    (take, approve), then one that pauses it (ask the applicant), a refusal last. The first
    forward step is the primary button; every other is secondary."""
    actions: list[dict[str, Any]] = []
    for name in names:
        step = workflow.action(name)
        target = workflow.state(step.to) if step else None
        danger = bool(target and target.outcome == "refused")
        pauses = bool(target and target.clock_paused)
        actions.append({
            "name": name,
            "label": action_button(name),
            "requires_reason": bool(step and step.requires_reason),
            "danger": danger,
            "final": bool(target and target.final),
            "rank": 2 if danger else 1 if pauses else 0,
        })
    actions.sort(key=lambda a: a["rank"])
    for i, a in enumerate(actions):
        a["primary"] = i == 0 and a["rank"] == 0
    return actions


def _issued_document(application: Any) -> dict[str, str] | None:
    """Where the officer checks the result the case issued: its public verification page, which
    shows the signed PDF and its place in the transparency log."""
    if application.outcome != "approved":
        return None
    document = document_for_source(source_ref=f"application:{application.pk}")
    if document is None:
        return None
    return {"verify_url": reverse("document-verify", kwargs={"public_id": document.public_id})}


def _agency_name(code: str, lang: str) -> str:
    """The agency by its name in the page's language, never by its code."""
    names = organisation_names(codes=[code]).get(code) or {}
    return names.get(lang) or names.get("kk") or names.get("en") or _("the agency")


def _case_context(request: HttpRequest, application: Any) -> dict[str, Any]:
    lang = current_lang()
    package = app_selectors.application_package(application=application)
    form = package.form
    workflow = package.workflow
    actions = _ranked_actions(
        workflow, app_selectors.available_actions(user=request.user, application=application)
    )
    today = timezone.localdate()
    history = app_selectors.application_history(application_id=application.pk)
    signatures = app_selectors.application_signatures(application=application)
    grounds = _refusal_choices(application, actions, lang)
    return {
        "application": application,
        "title": package.title(lang),
        "status": status_label(application.state),
        "agency": _agency_name(application.agency_code, lang),
        "document": _issued_document(application),
        "needs_reason": [a["label"] for a in actions if a["requires_reason"]],
        "grounds": grounds,
        "needs_ground": [a["label"] for a in actions if a["name"] in grounds.actions],
        "decision_ground": app_selectors.decision_ground(application=application, lang=lang),
        "has_final": any(a["final"] for a in actions),
        **_deadline_marks(application, today=today,
                          soon=app_selectors.deadline_soon_limit(today=today)),
        "data_rows": [
            (form.label(name, lang) if name in form.labels else name,
             value_display(form=form, name=name, value=application.data.get(name), lang=lang))
            for name in field_order(form)
            if name in application.data
        ],
        "facts": facts_rows(package=package, evidence=application.evidence or {}),
        "missing": evidence_missing_rows(app_selectors.evidence_missing(application=application)),
        "attachments": app_selectors.application_attachments(application_id=application.pk),
        "history": [
            {"at": e.at, "what": action_label(e.action),
             "who": (e.actor.full_name or e.actor.iin) if e.actor else "",
             "status": status_label(e.to_state) if e.to_state else "", "reason": e.reason,
             "ground": app_selectors.decision_ground(
                 application=application, lang=lang, code=e.ground) if e.ground else None,
             "signature": signatures.get(e.signature_id or "")
             if e.signature_id != application.submission_signature_id else None}
            for e in history
        ],
        "submission_signature": signatures.get(application.submission_signature_id or ""),
        "actions": actions,
        "errors": {},
        "summary": [],
        "reason_max": REASON_MAX_CHARS,
        "posted": {"action": "", "reason": "", "ground": ""},
    }


class _Grounds(list):
    """The refusal grounds the officer may choose from (in their language), and the actions
    that ask for one."""

    actions: tuple[str, ...] = ()


def _refusal_choices(application: Any, actions: list[dict[str, Any]], lang: str) -> _Grounds:
    """Every ground of the refusing actions open to the officer, each once, in package order."""
    found = _Grounds()
    names = []
    for a in actions:
        grounds = app_selectors.refusal_grounds(application=application, action=a["name"],
                                                lang=lang)
        if grounds:
            names.append(a["name"])
        found.extend(g for g in grounds if g.code not in {f.code for f in found})
    found.actions = tuple(names)
    return found


def _officer_application(request: HttpRequest, application_id: int, purpose: str = "") -> Any:
    try:
        return app_selectors.application_get_for_officer(
            user=request.user, application_id=application_id, purpose=purpose
        )
    except Problem as exc:
        raise Http404 from exc


@officer_required
@require_GET
def case(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _officer_application(request, application_id)
    return render(request, "backoffice/case.html", _case_context(request, application))


@officer_required
@require_POST
def evidence_refetch(request: HttpRequest, application_id: int) -> HttpResponse:
    """Ask the registries again for the data the case came in without; say what arrived."""
    application = _officer_application(
        request, application_id, purpose=f"fetching registry data for application {application_id}"
    )
    try:
        result = app_services.application_evidence_refetch(
            actor=request.user, application_id=application.pk
        )
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        messages.error(request, _("No registry data is missing for this case."))
        return redirect("bo-case", application_id=application.pk)
    if result.still_missing:
        messages.error(request, _(
            "Still not obtained from the registries: %(items)s. You can ask the applicant for a "
            "document."
        ) % {"items": ", ".join(sorted(result.still_missing))})
    else:
        messages.success(request, _("All the registry data has been obtained."))
    return redirect("bo-case", application_id=application.pk)


@officer_required
@require_POST
def act(request: HttpRequest, application_id: int) -> HttpResponse:
    """One workflow action. A missing reason re-renders the case with the error; a conflict (the
    case moved on meanwhile) or a forbidden role shows a message and changes nothing."""
    application = _officer_application(
        request, application_id, purpose=f"deciding on application {application_id}"
    )
    action = (request.POST.get("action") or "").strip()
    reason = (request.POST.get("reason") or "").strip()
    ground = (request.POST.get("ground") or "").strip()[:60]
    errors: dict[str, str] = {}
    if len(reason) > REASON_MAX_CHARS:
        errors["reason"] = _("Use at most %(count)d characters.") % {"count": REASON_MAX_CHARS}
    else:
        try:
            if app_services.action_is_final(application=application, action=action):
                # A decision that ends the case is signed first; it is applied on the return
                # from the signing page, and not at all if the code is never confirmed.
                sig_request = app_services.application_decision_sign(
                    actor=request.user, application_id=application.pk, action=action,
                    reason=reason, ground=ground,
                )
                done = reverse("bo-decide-signed", kwargs={
                    "application_id": application.pk, "request_id": sig_request.id,
                })
                return redirect(reverse("signature-confirm", kwargs={
                    "request_id": sig_request.id,
                }) + "?" + urlencode({"next": done}))
            app_services.application_act(
                actor=request.user, application_id=application.pk, action=action, reason=reason,
                ground=ground,
            )
        except Problem as problem:
            if problem.code == "no_phone":
                messages.error(request, _(
                    "A phone number is needed to receive the signing code. Nothing was changed."
                ))
                return redirect("bo-case", application_id=application.pk)
            if problem.status == 422:
                errors = _act_errors(problem, application=application, action=action,
                                     reason=reason, ground=ground)
            elif problem.status == 404 and problem.code != "unknown_action":
                raise Http404 from problem
            else:
                messages.error(request, _(
                    "The action “%(action)s” could not be taken: the case may have changed "
                    "meanwhile or your role does not allow it. Nothing was changed."
                ) % {"action": action_button(action)})
                return redirect("bo-case", application_id=application.pk)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": action_button(action)})
            return redirect("bo-case", application_id=application.pk)
    context = _case_context(request, application)
    context["errors"] = errors
    context["posted"] = {"action": action, "reason": reason, "ground": ground}
    names = {"ground": _("Ground for refusal"), "reason": _("Reason")}
    context["summary"] = [
        {"target": field, "message": f"{names[field]} ({action_button(action)}): {errors[field]}"}
        for field in ("ground", "reason") if field in errors
    ]
    return render(request, "backoffice/case.html", context)


def _act_errors(problem: Problem, *, application: Any, action: str, reason: str,
                ground: str) -> dict[str, str]:
    """The form's field errors for a refused step (422): the reason and, for a refusal, its
    ground — both named at once, although the service stops at the first."""
    pointers = {e.pointer for e in problem.errors}
    choices = {g.code for g in app_selectors.refusal_grounds(
        application=application, action=action, lang=current_lang())}
    errors: dict[str, str] = {}
    if choices and ("/ground" in pointers or ground not in choices):
        errors["ground"] = _("Choose the ground for the refusal.")
    if "/reason" in pointers or not reason:
        errors["reason"] = _("Enter the reason: the applicant will read it.")
    return errors or {"reason": _("Enter the reason: the applicant will read it.")}


@officer_required
@require_GET
def decide_signed(request: HttpRequest, application_id: int, request_id: str) -> HttpResponse:
    """The return address of the signing page: apply the decision the officer has just signed.
    Reached by a redirect (GET) and idempotent: the signature is used once, and a second visit
    only shows the case. Until the code is confirmed nothing changes."""
    application = _officer_application(
        request, application_id, purpose=f"deciding on application {application_id}"
    )
    try:
        app_services.application_act_signed(
            actor=request.user, application_id=application.pk, signature_request_id=request_id
        )
    except Problem as problem:
        if problem.code == "signature_not_confirmed":
            messages.error(request, _(
                "The decision is not signed yet, so nothing was changed. Type the code from "
                "the SMS to sign it."))
            return redirect(reverse("signature-confirm", kwargs={"request_id": request_id})
                            + "?" + urlencode({"next": request.get_full_path()}))
        if problem.code in ("signature_unknown", "not_found"):
            raise Http404 from problem
        messages.error(request, _(
            "The signed decision could not be applied: the case may have changed meanwhile or "
            "the signature does not match it. Nothing was changed."))
        return redirect("bo-case", application_id=application.pk)
    return redirect("bo-decided", application_id=application.pk, request_id=request_id)


@officer_required
@require_GET
def decided(request: HttpRequest, application_id: int, request_id: str) -> HttpResponse:
    """The confirmation after a signed decision: what was decided, in words, and the issued
    document (or that it is being prepared). A GET of its own address, so a reload shows it
    again; only for a decision this officer signed on this case."""
    application = _officer_application(request, application_id)
    event = next(
        (e for e in app_selectors.application_history(application_id=application.pk)
         if e.signature_id == request_id and e.actor_id == request.user.pk),
        None,
    )  # fmt: skip
    if event is None:
        raise Http404
    lang = current_lang()
    package = app_selectors.application_package(application=application)
    return render(request, "backoffice/decided.html", {
        "application": application,
        "title": package.title(lang),
        "decision": decision_words(action=event.action, package=package, lang=lang),
        "reason": event.reason,
        "ground": app_selectors.decision_ground(application=application, lang=lang,
                                                code=event.ground) if event.ground else None,
        "agency": _agency_name(application.agency_code, lang),
        "approved": application.outcome == "approved",
        "document": _issued_document(application),
    })  # fmt: skip


@officer_required
@require_GET
def case_signature(
    request: HttpRequest, application_id: int, request_id: str, part: str
) -> HttpResponse:
    """A signature on the case (the applicant's over the submission, an officer's over a
    decision): the detached CMS or exactly the bytes it signs."""
    application = _officer_application(
        request, application_id, purpose=f"checking a signature of application {application_id}"
    )
    try:
        files = app_selectors.application_signature_files(
            application=application, request_id=request_id
        )
    except Problem as exc:
        raise Http404 from exc
    if part == "signature.p7s":
        response = HttpResponse(files.cms_der, content_type="application/pkcs7-signature")
        name = f"{application.number}-{request_id[:8]}.p7s"
    elif part == "content.json":
        response = HttpResponse(files.content, content_type="application/json")
        name = f"{application.number}-{request_id[:8]}.json"
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@officer_required
@require_GET
def attachment(request: HttpRequest, application_id: int, attachment_id: int) -> HttpResponse:
    """A file the applicant gave, downloaded (never rendered inline: it is untrusted content)."""
    application = _officer_application(
        request, application_id, purpose=f"opening an attachment of application {application_id}"
    )
    try:
        item = app_selectors.attachment_content(
            attachment_id=attachment_id, application_id=application.pk
        )
    except Problem as exc:
        raise Http404 from exc
    filename = "".join(c for c in item.filename if c.isalnum() or c in "._- ") or "attachment"
    response = HttpResponse(bytes(item.content), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
