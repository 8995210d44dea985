"""The citizen's application pages: apply (form generated from the service package), my
applications, one application (history, answering a request for information, the result).

Views are thin: they turn the request into a call to `qyzmet.applications` and the answer into
HTML. Every page works without JavaScript; errors follow the GOV.UK pattern (a summary at the top
with links to each field, and the message next to the field)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qyzmet.applications import selectors as app_selectors
from qyzmet.applications import services as app_services
from qyzmet.applications.evidence import Evidence, EvidenceChanged, evidence_read
from qyzmet.catalog.fees import fee_quote
from qyzmet.catalog.package import ServicePackage
from qyzmet.catalog.reference import MciYearMissing
from qyzmet.catalog.selectors import service_current
from qyzmet.core.formats import date_long
from qyzmet.core.problem import Problem
from qyzmet.documents.selectors import document_for_source, document_pdf
from qyzmet.portal.signed_in import SignedInRequest
from qyzmet.ui.answers import agency_full_name, answer_rows
from qyzmet.ui.fees import fee_view
from qyzmet.ui.forms import (
    field_order,
    form_data_from_post,
    form_fields,
    form_validate,
    pointer_field,
    value_display,
)
from qyzmet.ui.labels import (
    action_label,
    evidence_missing_notice,
    evidence_missing_rows,
    evidence_waiting_notice,
    facts_rows,
    status_label,
)
from qyzmet.ui.money import money_display
from qyzmet.ui.titles import PackageTitles, current_lang

PAGE_SIZE = 20
ANSWER_MAX_CHARS = 2000


def upload_error_message(problem: Problem) -> str:
    """The citizen-facing text for a rejected upload, naming the limit or the accepted types."""
    if problem.code == "upload_too_large":
        limit = settings.QYZMET_UPLOAD_MAX_BYTES / (1024 * 1024)
        return _("The file is larger than the limit of %(limit)s MB.") % {"limit": f"{limit:g}"}
    if problem.code == "upload_type_not_allowed":
        return _("The file must be one of these types: %(types)s.") % {"types": accepted_types()}
    if problem.code == "upload_empty":
        return _("The file is empty.")
    return problem.detail or problem.title


def accepted_types() -> str:
    return ", ".join(t.split("/")[1].upper() for t in settings.QYZMET_UPLOAD_CONTENT_TYPES)


def _key(value: str | None) -> str:
    """The form's Idempotency-Key: the one rendered with the form if it is a well-formed uuid,
    else a fresh one (a tampered key must not collide with anything)."""
    try:
        return str(uuid.UUID(str(value or "")))
    except ValueError:
        return str(uuid.uuid4())


def _prefill(
    request: SignedInRequest, *, package: ServicePackage, code: str, draft_id: int | None,
    data: dict | None = None,
) -> tuple[list, str]:
    """The facts the state already holds, for display: about the applicant on the form; on
    check-your-answers (`data` given) also about whom the answers name (a child's IIN)."""
    evidence, notice = _prefill_evidence(
        request, package=package, code=code, draft_id=draft_id, data=data
    )
    return facts_rows(package=package, evidence=evidence.facts), notice


def _evidence_key(code: str, draft_id: int | None) -> str:
    """Where the facts read for this form wait (with the subject each was read for and when),
    so the next page and the signature reuse them instead of reading the registry again."""
    return f"portal.apply.evidence:{code}:{draft_id or ''}"


def _changes_key(code: str, draft_id: int | None) -> str:
    """Where the facts a citizen was shown wait when the registry's answer changed before they
    signed, for check-your-answers to say what changed."""
    return f"portal.apply.changes:{code}:{draft_id or ''}"


def _evidence_known(request: HttpRequest, code: str, draft_id: int | None) -> Evidence:
    return Evidence.from_stored(request.session.get(_evidence_key(code, draft_id)))


def _evidence_keep(
    request: HttpRequest, code: str, draft_id: int | None, *, known: Evidence, found: Evidence
) -> None:
    """Keep what was read now over what was kept before (items not asked now stay)."""
    kept = Evidence(
        facts={**known.facts, **found.facts},
        subjects={**known.subjects, **found.subjects},
        read_at={**known.read_at, **found.read_at},
    )
    request.session[_evidence_key(code, draft_id)] = kept.stored()


def _prefill_evidence(
    request: SignedInRequest, *, package: ServicePackage, code: str, draft_id: int | None,
    data: dict | None = None,
) -> tuple[Evidence, str]:
    """`_prefill`'s facts, and the notice when a registry failed. Each registry item is read
    once for the form (the read is audited with this purpose) and kept in the session: the
    next pages and the signature reuse it while it is fresh."""
    user = request.user
    known = _evidence_known(request, code, draft_id)
    found = evidence_read(
        actor=user,
        package=package,
        applicant_iin=user.iin,
        data=data,
        purpose=f"showing prefilled data for service {code}",
        display=True,
        known=known,
    )
    _evidence_keep(request, code, draft_id, known=known, found=found)
    notice = ""
    about_applicant = {item.name for item in package.evidence if item.subject == "applicant"}
    if found.pending:
        notice = _(
            "The state registry is not answering right now. You can still fill in the form "
            "and submit it: we will read your data from the registry as soon as it answers."
        )
    elif about_applicant & set(found.failed):
        # A typed IIN with no record is left to the signing step, which names the field.
        notice = _(
            "We could not find your record in the state registry. Please contact a public "
            "service centre before applying."
        )
    return found, notice


def _fact_changes(
    *, package: ServicePackage, earlier: dict[str, Any], now: dict[str, Any]
) -> list[dict[str, str]]:
    """What changed in the registry since the citizen was shown it, in words (the labels the
    facts are shown with, never field codes): each changed line, as it was and as it is."""
    before = dict(facts_rows(package=package, evidence=earlier))
    after = dict(facts_rows(package=package, evidence=now))
    return [
        {"label": label, "old": before.get(label, "—"), "new": after.get(label, "—")}
        for label in dict.fromkeys([*before, *after])
        if before.get(label) != after.get(label)
    ]


def _evidence_changed(
    request: HttpRequest, *, code: str, draft_id: int | None, problem: EvidenceChanged
) -> HttpResponse:
    """The registry's answer changed before the citizen signed: keep the fresh facts (they are
    what is signed next), remember what the citizen had seen, and show check-your-answers
    again, which says what changed. Nothing was signed or submitted."""
    changed = list(problem.extra.get("changed") or [])
    known = _evidence_known(request, code, draft_id)
    _evidence_keep(request, code, draft_id, known=known, found=problem.evidence)
    request.session[_changes_key(code, draft_id)] = {
        name: problem.earlier.facts[name] for name in changed if name in problem.earlier.facts
    }
    return redirect(
        reverse("apply-check", kwargs={"code": code}) + (f"?draft={draft_id}" if draft_id else "")
    )


def _summary(package: ServicePackage, errors: dict[str, str], general: list[str]) -> list[dict]:
    items = [{"target": "", "message": m} for m in general]
    form = package.form
    for name in field_order(form):
        if name in errors:
            label = form.label(name, current_lang()) if name in form.labels else name
            # A message that already names its question is not prefixed with it again.
            message = errors[name] if label in errors[name] else f"{label}: {errors[name]}"
            items.append({"target": f"field-{name}", "message": message})
    return items


def _render_form(
    request: SignedInRequest,
    *,
    code: str,
    package: ServicePackage,
    values: dict,
    errors: dict[str, str],
    general: list[str],
    key: str,
    draft_id: int | None,
    focus: str = "",
) -> HttpResponse:
    lang = current_lang()
    if draft_id:
        back_url = reverse("my-application", kwargs={"application_id": draft_id})
    else:
        back_url = reverse("service-detail", kwargs={"code": code})
    facts, notice = _prefill(request, package=package, code=code, draft_id=draft_id)
    context = {
        "code": code,
        "package": package,
        "title": package.title(lang),
        "summary_text": package.summary.get(lang),
        "guidance": package.guidance.get(lang),
        "facts": facts,
        "facts_notice": notice,
        "fields": form_fields(form=package.form, lang=lang, values=values, errors=errors),
        "summary": _summary(package, errors, general),
        "idempotency_key": key,
        "draft_id": draft_id,
        "back_url": back_url,
        # A Change link on the check-your-answers page returns to one question: it gets focus.
        "focus": focus if focus in package.form.properties and not errors else "",
    }
    return render(request, "portal/apply/form.html", context)


def _draft_for(request: HttpRequest, code: str, raw_id: str):
    try:
        draft_id = int(raw_id)
    except ValueError as exc:
        raise Http404 from exc
    try:
        draft = app_selectors.application_get_for_citizen(
            user=request.user, application_id=draft_id
        )
    except Problem as exc:
        raise Http404 from exc
    if draft.state != "draft" or draft.service_code != code:
        raise Http404
    return draft


def _problem_errors(problem: Problem) -> tuple[dict[str, str], list[str]]:
    """Field messages from a service's 422. Known service texts are in our catalogue, so
    `gettext` translates them; unknown ones are shown as they came."""
    fields: dict[str, str] = {}
    general: list[str] = []
    for error in problem.errors:
        name = pointer_field(error.pointer)
        if name:
            fields.setdefault(name, _(error.detail))
        else:
            general.append(_(error.detail))
    if not problem.errors:
        general.append(_(problem.detail or problem.title))
    return fields, general


def _kept_key(code: str, draft_id: int | None) -> str:
    return f"portal.apply.kept:{code}:{draft_id or ''}"


def _answers_key(code: str, draft_id: int | None) -> str:
    """Where the answers wait between the form and check-your-answers (and back on Change)."""
    return f"portal.apply.answers:{code}:{draft_id or ''}"


def _apply_url(code: str, draft_id: int | None, **params: str) -> str:
    query = {**({"draft": str(draft_id)} if draft_id else {}), **params}
    return reverse("apply", kwargs={"code": code}) + ("?" + urlencode(query) if query else "")


def _package_and_draft(request: HttpRequest, code: str) -> tuple[ServicePackage, Any]:
    """The package the form uses: a saved draft's pinned version, else the service's current."""
    raw_draft = request.POST.get("draft") or request.GET.get("draft")
    draft = _draft_for(request, code, raw_draft) if raw_draft else None
    if draft is not None:
        return app_selectors.application_package(application=draft), draft
    service = service_current(code=code)
    if service is None:
        raise Http404
    return service.package, None


def _language_switch(
    request: HttpRequest, *, code: str, draft_id: int | None, raw: dict, key: str
) -> HttpResponse:
    """On the form page the header's language switch submits the form itself (no JavaScript
    needed): what was typed is kept in the session for the next view of the form, the chosen
    language is stored as Django's set_language stores it, and the form is shown again. Nothing
    is validated or saved; a file chosen for upload must be chosen again (browsers never refill
    a file field)."""
    request.session[_kept_key(code, draft_id)] = {"values": raw, "key": key}
    target = reverse("apply", kwargs={"code": code})
    response = redirect(target + (f"?draft={draft_id}" if draft_id else ""))
    lang = request.POST.get("language", "")
    if lang in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )  # fmt: skip
    return response


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: SignedInRequest, code: str) -> HttpResponse:
    """The application form for the current version of a service (or a saved draft's version)."""
    package, draft = _package_and_draft(request, code)
    draft_id = draft.pk if draft else None

    if request.method == "GET":
        kept = request.session.pop(_kept_key(code, draft_id), None)
        if kept is None and "change" in request.GET:
            # Back from check-your-answers (a Change link or Back): the answers are kept.
            kept = request.session.get(_answers_key(code, draft_id))
        saved = dict(draft.data) if draft else {}
        values = kept["values"] if kept is not None else saved
        return _render_form(
            request,
            code=code,
            package=package,
            values=values,
            errors={},
            general=[],
            key=_key(kept["key"]) if kept else str(uuid.uuid4()),
            draft_id=draft_id,
            focus=request.GET.get("change", ""),
        )

    data, raw, errors = form_data_from_post(form=package.form, post=request.POST)
    key = _key(request.POST.get("idempotency_key"))
    if request.POST.get("intent") == "language":
        return _language_switch(request, code=code, draft_id=draft_id, raw=raw, key=key)
    lang = current_lang()
    back = request.get_full_path()

    if request.POST.get("intent") == "draft":
        # A draft keeps what was typed, even what does not convert yet (validated on submit).
        draft_data = {**{name: raw[name] for name in errors}, **data}
        try:
            draft_saved = app_services.application_draft_save(
                actor=request.user,
                service_code=code,
                data=draft_data,
                application_id=draft_id,
                language=lang,
            )
        except Problem as problem:
            if problem.status == 404:
                raise Http404 from problem
            messages.error(request, _(problem.detail or problem.title))
            return redirect(back)
        messages.success(request, _("Your draft was saved. You can continue it at any time."))
        return redirect("my-application", application_id=draft_saved.pk)

    field_errors, general = form_validate(form=package.form, data=data)
    field_errors = {**field_errors, **errors}
    if field_errors or general:
        return _render_form(
            request,
            code=code,
            package=package,
            values=raw,
            errors=field_errors,
            general=general,
            key=key,
            draft_id=draft_id,
        )
    if request.POST.get("intent") != "submit":
        # "Continue": the answers are checked on their own page before anything is signed.
        request.session[_answers_key(code, draft_id)] = {"values": raw, "data": data, "key": key}
        return redirect(
            reverse("apply-check", kwargs={"code": code})
            + (f"?draft={draft_id}" if draft_id else "")
        )
    return _sign(
        request, code=code, package=package, data=data, raw=raw, key=key, draft_id=draft_id
    )


def _sign(
    request: SignedInRequest,
    *,
    code: str,
    package: ServicePackage,
    data: dict,
    raw: dict,
    key: str,
    draft_id: int | None,
) -> HttpResponse:
    """Prepare the signature of exactly these answers (an SMS code is texted) and go to the
    signing page, whose return address submits what was signed."""
    # The portal always signs: the submission counts once the citizen has signed exactly what
    # is submitted (the form data and the registry facts) with the code sent by SMS.
    try:
        sig_request = app_services.application_submission_sign(
            actor=request.user,
            service_code=code,
            data=data,
            draft_id=draft_id,
            known=_evidence_known(request, code, draft_id),
        )
    except EvidenceChanged as problem:
        request.session[_answers_key(code, draft_id)] = {"values": raw, "data": data, "key": key}
        return _evidence_changed(request, code=code, draft_id=draft_id, problem=problem)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        if problem.status == 422:
            field_errors, general = _problem_errors(problem)
            return _render_form(
                request,
                code=code,
                package=package,
                values=raw,
                errors=field_errors,
                general=general,
                key=key,
                draft_id=draft_id,
            )
        response = _render_form(
            request,
            code=code,
            package=package,
            values=raw,
            errors={},
            general=[_(problem.detail or problem.title)],
            key=key,
            draft_id=draft_id,
        )
        if problem.status == 503:  # e.g. the fee cannot be calculated yet: said in words
            response.status_code = 503
        if problem.status == 429:  # too many signing codes: say so, and when to come back
            response.status_code = 429
            for header, value in problem.headers.items():
                response[header] = value
        return response
    params = {"key": key, **({"draft": str(draft_id)} if draft_id else {})}
    done = reverse("apply-signed", kwargs={"code": code, "request_id": sig_request.id})
    done += "?" + urlencode(params)
    return redirect(
        reverse("signature-confirm", kwargs={"request_id": sig_request.id})
        + "?"
        + urlencode({"next": done})
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply_check(request: SignedInRequest, code: str) -> HttpResponse:
    """Check your answers: every answer in words with a Change link back to its question, and
    the registry facts that will be used. Confirming it prepares the signature of exactly these
    answers (POST); without answers waiting in the session the form is shown instead."""
    package, draft = _package_and_draft(request, code)
    draft_id = draft.pk if draft else None
    answers = request.session.get(_answers_key(code, draft_id))
    if not answers:
        return redirect(_apply_url(code, draft_id))
    if request.method == "POST":
        return _sign(
            request,
            code=code,
            package=package,
            data=answers["data"],
            raw=answers["values"],
            key=_key(answers.get("key")),
            draft_id=draft_id,
        )
    lang = current_lang()
    found, notice = _prefill_evidence(
        request, package=package, code=code, draft_id=draft_id, data=answers["data"]
    )
    evidence = found.facts
    facts = facts_rows(package=package, evidence=evidence)
    seen = request.session.pop(_changes_key(code, draft_id), None)
    changes = []
    if isinstance(seen, dict) and seen:
        changes = _fact_changes(
            package=package, earlier=seen, now={n: evidence[n] for n in seen if n in evidence}
        )
        if not changes:  # a change in nothing shown is still said, never silently signed
            changes = [{"label": _("Your data in the state registry"), "old": "", "new": ""}]
    # What this citizen pays, from the facts the application will carry (an exemption is
    # decided from them, never claimed); the submission quotes it again from what is signed.
    fee = None
    if not package.fee.is_free:
        try:
            quote = fee_quote(package=package, facts=evidence, on=timezone.localdate())
        except MciYearMissing:  # the year's index not added yet: the page says so, no signing
            quote = None
        fee = fee_view(package=package, lang=lang, quote=quote)
    rows = [
        {
            "name": a.name,
            "label": a.label,
            "value": a.value,
            "change_url": _apply_url(code, draft_id, change=a.name) + f"#field-{a.name}",
        }
        for a in answer_rows(package=package, data=answers["data"], lang=lang)
    ]
    return render(
        request,
        "portal/apply/check.html",
        {
            "code": code,
            "title": package.title(lang),
            "rows": rows,
            "facts": facts,
            "facts_notice": notice,
            "changes": changes,
            "fee": fee,
            "draft_id": draft_id,
            "back_url": _apply_url(code, draft_id, change=""),
        },
    )


@login_required
@require_GET
def apply_signed(request: HttpRequest, code: str, request_id: str) -> HttpResponse:
    """The return address of the signing page: submit what the citizen has just signed. Like a
    payment provider's return URL it is reached by a redirect (GET), so it is idempotent: the
    form's key (or the signature itself) makes a second visit find the same application."""
    raw_draft = request.GET.get("draft")
    draft_id = _draft_for(request, code, raw_draft).pk if raw_draft else None
    key = _key(request.GET.get("key"))
    lang = current_lang()
    back = reverse("apply", kwargs={"code": code}) + (f"?draft={draft_id}" if draft_id else "")
    try:
        application, created = app_services.application_submit_signed(
            actor=request.user,
            signature_request_id=request_id,
            idempotency_key=key,
            draft_id=draft_id,
            language=lang,
        )
    except Problem as problem:
        if problem.code == "idempotency_key_reused":
            messages.error(
                request, _("This form was already submitted. Your applications are listed below.")
            )
            return redirect("my-applications")
        if problem.code == "signature_not_confirmed":
            return redirect(
                reverse("signature-confirm", kwargs={"request_id": request_id})
                + "?"
                + urlencode({"next": request.get_full_path()})
            )
        if problem.code in ("signature_unknown", "signature_already_used"):
            raise Http404 from problem
        if isinstance(problem, EvidenceChanged):
            return _evidence_changed(request, code=code, draft_id=draft_id, problem=problem)
        if problem.code == "signature_mismatch":
            messages.error(
                request,
                _(
                    "What you signed is no longer exactly what would be submitted (the registry "
                    "data or the service changed meanwhile). Nothing was submitted: please submit "
                    "and sign again."
                ),
            )
            return redirect(back)
        messages.error(request, _(problem.detail or problem.title))
        return redirect(back)
    # What was submitted is no longer waiting to be checked: a new form starts empty.
    request.session.pop(_answers_key(code, draft_id), None)
    if not created:
        messages.info(
            request,
            _("This application was already submitted: %(number)s.")
            % {"number": application.number},
        )
    return redirect("my-application-submitted", application_id=application.pk)


@login_required
@require_GET
def my_application_submitted(request: HttpRequest, application_id: int) -> HttpResponse:
    """The confirmation after submitting: the reference number, the due date, what happens next
    and where to follow it. A GET of the application's own address, so a reload (or coming back
    later) shows it again; only its applicant sees it, anyone else gets 404."""
    application = _citizen_application(request, application_id)
    if application.state == "draft":
        raise Http404
    lang = current_lang()
    package = app_selectors.application_package(application=application)
    pending = app_selectors.evidence_pending(application=application)
    return render(
        request,
        "portal/apply/submitted.html",
        {
            "payment_due": _payment_due(application, lang),
            "application": application,
            "title": package.title(lang),
            "due": date_long(application.due_date, lang) if application.due_date else "",
            "agency": agency_full_name(application.agency_code, lang),
            "evidence_notice": evidence_waiting_notice(registries=[p.registry for p in pending])
            if pending
            else "",
        },
    )


@login_required
@require_GET
def my_applications(request: HttpRequest) -> HttpResponse:
    """My applications, newest first, a page at a time (keyset: `?cursor=`)."""
    try:
        page = app_selectors.application_list_for_citizen(
            user=request.user, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
        )
    except Problem as problem:
        return HttpResponseBadRequest(_(problem.detail or problem.title))
    titles = PackageTitles(current_lang())
    rows = [
        {
            "application": a,
            "service": titles.title(a.service_version_id),
            "status": status_label(a.state),
            "url": reverse("my-application", kwargs={"application_id": a.pk}),
            "continue_url": (
                reverse("apply", kwargs={"code": a.service_code}) + f"?draft={a.pk}"
                if a.state == "draft"
                else ""
            ),
        }
        for a in page.items
    ]
    return render(
        request,
        "portal/apply/list.html",
        {
            "rows": rows,
            "next_cursor": page.next_cursor,
            "is_first_page": not request.GET.get("cursor"),
        },
    )


def _detail_context(request: HttpRequest, application: Any) -> dict[str, Any]:
    lang = current_lang()
    package = app_selectors.application_package(application=application)
    form = package.form
    data_rows = [
        (
            form.label(name, lang) if name in form.labels else name,
            value_display(form=form, name=name, value=application.data.get(name), lang=lang),
        )
        for name in field_order(form)
        if name in application.data
    ]
    history = app_selectors.application_history(application_id=application.pk)
    signatures = app_selectors.application_signatures(application=application)
    actions = app_selectors.available_actions(user=request.user, application=application)
    info_reason = ""
    if "provide_info" in actions:
        asked = [e for e in history if e.to_state == application.state and e.reason]
        info_reason = asked[-1].reason if asked else ""
    document = None
    if application.outcome == "approved":
        document = document_for_source(source_ref=f"application:{application.pk}")
    pending = app_selectors.evidence_pending(application=application)
    missing = app_selectors.evidence_missing(application=application)
    return {
        "payment_due": _payment_due(application, lang),
        "application": application,
        "package": package,
        "title": package.title(lang),
        "status": status_label(application.state),
        "decision_ground": app_selectors.decision_ground(application=application, lang=lang),
        "data_rows": data_rows,
        "facts": facts_rows(package=package, evidence=application.evidence or {}),
        "history": [
            {
                "at": e.at,
                "what": action_label(e.action),
                "status": status_label(e.to_state) if e.to_state else "",
                "reason": e.reason,
                "signature": signatures.get(e.signature_id or "")
                if e.signature_id != application.submission_signature_id
                else None,
            }
            for e in history
        ],
        "submission_signature": signatures.get(application.submission_signature_id or ""),
        "evidence_notice": evidence_waiting_notice(registries=[p.registry for p in pending])
        if pending
        else "",
        "missing_notice": evidence_missing_notice(registries=[m.registry for m in missing])
        if missing
        else "",
        "missing": evidence_missing_rows(missing),
        "can_answer": "provide_info" in actions,
        "withdraw_url": reverse("my-application-withdraw",
                                kwargs={"application_id": application.pk})
        if _withdraw_action(application, actions) else "",
        "info_reason": info_reason,
        "document": document,
        "continue_url": (
            reverse("apply", kwargs={"code": application.service_code}) + f"?draft={application.pk}"
            if application.state == "draft"
            else ""
        ),
        "upload_limit_mb": f"{settings.QYZMET_UPLOAD_MAX_BYTES / (1024 * 1024):g}",
        "upload_types": accepted_types(),
        "answer_max": ANSWER_MAX_CHARS,
        "errors": {},
        "summary": [],
        "answer": "",
    }


def _payment_due(application: Any, lang: str) -> dict[str, str] | None:
    """The line "Payment due: N ₸ — pay by <date>" for an application waiting for its fee, with
    the address of its payment page; None otherwise."""
    if application.state != application.AWAITING_PAYMENT:
        return None
    payment = app_selectors.application_payment(application=application)
    if payment is None or not payment.is_payable:
        return None
    until = timezone.localtime(payment.expires_at)
    return {
        "amount": money_display(amount=payment.amount, currency=payment.currency, lang=lang),
        "until": f"{date_long(until.date(), lang)}, {until:%H:%M}",
        "until_iso": until.isoformat(),
        "url": f"/my/payments/{payment.public_id}/",
    }


def _citizen_application(request: HttpRequest, application_id: int) -> Any:
    try:
        return app_selectors.application_get_for_citizen(
            user=request.user, application_id=application_id
        )
    except Problem as exc:
        raise Http404 from exc


@login_required
@require_GET
def my_application(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _citizen_application(request, application_id)
    return render(request, "portal/apply/detail.html", _detail_context(request, application))


@login_required
@require_POST
def my_application_answer(request: HttpRequest, application_id: int) -> HttpResponse:
    """Answer a request for more information: a text and an optional file, sent together (the
    file is not kept if the answer cannot be accepted)."""
    application = _citizen_application(request, application_id)
    text = (request.POST.get("answer") or "").strip()
    upload = request.FILES.get("file")
    errors: dict[str, str] = {}
    if not text and upload is None:
        errors["answer"] = _("Write your answer or attach a file.")
    elif len(text) > ANSWER_MAX_CHARS:
        errors["answer"] = _("Use at most %(count)d characters.") % {"count": ANSWER_MAX_CHARS}
    if upload is not None and (upload.size or 0) > settings.QYZMET_UPLOAD_MAX_BYTES:
        errors["file"] = upload_error_message(Problem(413, "upload_too_large", ""))
    if not errors:
        try:
            with transaction.atomic():
                if upload is not None:
                    app_services.attachment_add(
                        actor=request.user,
                        application_id=application.pk,
                        filename=Path(upload.name or "upload").name,
                        content=upload.read(),
                    )
                app_services.application_act(
                    actor=request.user,
                    application_id=application.pk,
                    action="provide_info",
                    reason=text,
                )
        except Problem as problem:
            if problem.code.startswith("upload_"):
                errors["file"] = upload_error_message(problem)
            elif problem.status == 404:
                raise Http404 from problem
            elif problem.status == 422:
                errors["answer"] = _(problem.detail or problem.title)
            else:
                messages.error(
                    request,
                    _(
                        "Your answer could not be accepted: the application "
                        "is no longer waiting for information."
                    ),
                )
                return redirect("my-application", application_id=application.pk)
        else:
            messages.success(request, _("Thank you. Your answer was sent to the officer."))
            return redirect("my-application", application_id=application.pk)
    context = _detail_context(request, application)
    labels = {"answer": _("Your answer"), "file": _("File (optional)")}
    context["errors"] = errors
    context["answer"] = text
    context["summary"] = [
        {"target": f"field-{name}", "message": f"{labels[name]}: {message}"}
        for name, message in errors.items()
    ]
    return render(request, "portal/apply/detail.html", context)


def _withdraw_action(application: Any, actions: list[str]) -> str:
    """The action by which this applicant may withdraw the application now, or ""."""
    workflow = app_selectors.application_package(application=application).workflow
    found = app_selectors.withdraw_action(workflow)
    return found if found and found in actions else ""


def _withdrawal_fee_text(application: Any, lang: str) -> str:
    """What withdrawing does to the fee, in a sentence of the reader's language ("" when there
    is no fee to speak of)."""
    fee = app_selectors.withdrawal_fee(application=application)
    amount = money_display(amount=fee.amount, currency=fee.currency, lang=lang)
    if fee.kind == app_selectors.FEE_CANCELLED:
        return _(
            "You have not paid the fee (%(amount)s), so there is nothing to refund. Its payment "
            "will be cancelled: do not pay it. Money paid after that is returned automatically."
        ) % {"amount": amount}
    if fee.kind == app_selectors.FEE_REFUNDED:
        return _("The fee you paid, %(amount)s, will be refunded to you in full.") % {
            "amount": amount
        }
    if fee.kind == app_selectors.FEE_KEPT:
        return _(
            "The fee you paid, %(amount)s, will not be refunded: the rules of this service do "
            "not return it when an application is withdrawn."
        ) % {"amount": amount}
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def my_application_withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    """Withdraw my application: a page that says what happens (the agency will not consider
    it; what becomes of the fee under the service's rule), then the POST that does it. Only
    where the service's workflow lets the applicant withdraw now (404 otherwise); no
    JavaScript."""
    application = _citizen_application(request, application_id)
    actions = app_selectors.available_actions(user=request.user, application=application)
    action = _withdraw_action(application, actions)
    if not action:
        raise Http404
    back = reverse("my-application", kwargs={"application_id": application.pk})
    if request.method == "POST":
        try:
            app_services.application_act(
                actor=request.user, application_id=application.pk, action=action
            )
        except Problem as problem:
            if problem.status == 404:
                raise Http404 from problem
            messages.error(request, _(problem.detail or problem.title))
            return redirect(back)
        messages.success(request, _("Your application was withdrawn."))
        return redirect(back)
    lang = current_lang()
    package = app_selectors.application_package(application=application)
    return render(
        request,
        "portal/apply/withdraw.html",
        {
            "application": application,
            "title": package.title(lang),
            "fee_text": _withdrawal_fee_text(application, lang),
            "back_url": back,
        },
    )


@login_required
@require_GET
def my_application_result(request: HttpRequest, application_id: int) -> HttpResponse:
    """The signed result document of an approved application, for its applicant only."""
    application = _citizen_application(request, application_id)
    document = document_for_source(source_ref=f"application:{application.pk}")
    if document is None:
        raise Http404
    try:
        pdf = document_pdf(public_id=document.public_id)
    except Problem as exc:
        raise Http404 from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def my_application_signature(
    request: HttpRequest, application_id: int, request_id: str, part: str
) -> HttpResponse:
    """A signature on my application (mine over the submission, or an officer's over the
    decision): `signature.p7s` is the detached CMS, `content.json` exactly the bytes it signs, so
    anyone can check it, e.g. `openssl cms -verify -binary -inform DER -content content.json`."""
    application = _citizen_application(request, application_id)
    try:
        files = app_selectors.application_signature_files(
            application=application, request_id=request_id
        )
    except Problem as exc:
        raise Http404 from exc
    return signature_file_response(files=files, part=part, number=application.number)


def signature_file_response(*, files: Any, part: str, number: str) -> HttpResponse:
    if part == "signature.p7s":
        response = HttpResponse(files.cms_der, content_type="application/pkcs7-signature")
        name = f"{number}.p7s"
    elif part == "content.json":
        response = HttpResponse(files.content, content_type="application/json")
        name = f"{number}.json"
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
