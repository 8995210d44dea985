"""Open legal acts: what changes state. An agency's officers and heads draft, edit, moderate and
answer; only a head publishes the draft and its summary. Signed-in people comment while the
period is open. Every function checks its own authorization (an officer of agency A never acts
on agency B's draft, whatever the URL says: that is a 404) and writes its audit row in the same
transaction.

The comment period: published on day D with N days, comments are accepted up to and including
day D + N (N calendar days after the day of publication; N is at least
`QYZMET_LEGAL_ACTS_MIN_COMMENT_DAYS`, 10 by default, as Kazakhstan's law on legal acts asks).
The day after, the act moves to "summary due" — by the scheduled `legal_acts_close_due`, or
by the first page view that finds it overdue, whichever comes first (both idempotent)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qyzmet.audit.services import Kind as AuditKind
from qyzmet.audit.services import audit_record
from qyzmet.core.problem import FieldError, Problem, conflict, forbidden, not_found, validation
from qyzmet.documents.services import document_issue
from qyzmet.identity.selectors import organisation_get, user_agency_codes, user_roles

from .diffing import paragraphs, text_diff
from .models import Comment, LegalAct, LegalActVersion

STAFF_ROLES = {"officer", "head"}
HEAD_ROLES = {"head"}
REPRESENTATIVE_ROLE = "representative"
REQUIRED_LANGUAGES = ("kk", "ru")
LANGUAGES = ("kk", "ru", "en")
TITLE_MAX, TEXT_MAX, NOTE_MAX = 500, 100_000, 20_000
COMMENT_MAX, ANSWER_MAX, CONCLUSION_MAX = 3000, 5000, 5000
COMMENT_DAYS_MAX = 90


def min_comment_days() -> int:
    return int(getattr(settings, "QYZMET_LEGAL_ACTS_MIN_COMMENT_DAYS", 10))


# --- who may do what ---------------------------------------------------------------------------


def staff_organisations(*, user: Any) -> set[str]:
    """The agencies whose drafts this person works on (officer or head there)."""
    agencies = user_agency_codes(user=user)
    return {code for code, roles in user_roles(user=user).items()
            if code in agencies and roles & STAFF_ROLES}


def head_organisations(*, user: Any) -> set[str]:
    agencies = user_agency_codes(user=user)
    return {code for code, roles in user_roles(user=user).items()
            if code in agencies and roles & HEAD_ROLES}


def representative_organisations(*, user: Any) -> set[str]:
    """Businesses this person may speak for (their `representative` role there)."""
    agencies = user_agency_codes(user=user)
    return {code for code, roles in user_roles(user=user).items()
            if code not in agencies and REPRESENTATIVE_ROLE in roles}


def _act_for_staff(*, actor: Any, act_id: int, head: bool = False, lock: bool = False) -> LegalAct:
    qs = LegalAct.objects.select_for_update() if lock else LegalAct.objects
    act = qs.filter(pk=act_id).first()
    if act is None or act.organisation_code not in staff_organisations(user=actor):
        raise not_found("legal act")
    if head and act.organisation_code not in head_organisations(user=actor):
        raise forbidden(_("Only the head of the agency may do this."))
    return act


def _audit(act: LegalAct, *, actor: Any, action: str, subject_iin: str = "",
           data: dict | None = None) -> None:
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        kind=AuditKind.CHANGE,
        action=f"legal_act.{action}",
        object_type="legal_act",
        object_id=act.pk,
        subject_iin=subject_iin,
        data={"organisation": act.organisation_code, **(data or {})},
    )


# --- drafting ----------------------------------------------------------------------------------


def _texts_check(title: dict, text: dict, note: dict) -> tuple[dict, dict, dict]:
    errors: list[FieldError] = []
    clean: list[dict[str, str]] = []
    for name, values, limit in (("title", title, TITLE_MAX), ("text", text, TEXT_MAX),
                                ("note", note, NOTE_MAX)):
        out = {}
        for lang in LANGUAGES:
            value = str((values or {}).get(lang) or "").strip()
            if not value and lang in REQUIRED_LANGUAGES:
                errors.append(FieldError(f"/{name}_{lang}", _("This is required in Kazakh and "
                                                              "in Russian.")))
            elif len(value) > limit:
                errors.append(FieldError(f"/{name}_{lang}", _("At most %(count)d characters.")
                                         % {"count": limit}))
            if value:
                out[lang] = value
        clean.append(out)
    if errors:
        raise validation(errors, _("The draft cannot be saved: check the marked fields."))
    return clean[0], clean[1], clean[2]


def _kind_check(kind: str) -> str:
    if kind not in LegalAct.Kind.values:
        raise validation([FieldError("/kind", _("Choose the type of act."))])
    return kind


def _days_check(comment_days: int | str) -> int:
    least = min_comment_days()
    try:
        days = int(str(comment_days).strip())
    except ValueError:
        days = None
    if days is None or not least <= days <= COMMENT_DAYS_MAX:
        detail = _("Enter a whole number of days from %(least)d to %(most)d.") % {
            "least": least, "most": COMMENT_DAYS_MAX}
        raise validation([FieldError("/comment_days", detail)])
    return days


def _search_text(title: dict) -> str:
    return " ".join(title.get(lang, "") for lang in LANGUAGES).lower()


@transaction.atomic
def legal_act_create(
    *, actor: Any, organisation_code: str, kind: str, comment_days: int | str,
    title: dict, text: dict, note: dict,
) -> LegalAct:
    if organisation_code not in staff_organisations(user=actor):
        raise forbidden(_("You do not work for this agency."))
    errors: list[FieldError] = []
    checked: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("kind", lambda: _kind_check(kind)),
        ("days", lambda: _days_check(comment_days)),
        ("texts", lambda: _texts_check(title, text, note)),
    ]
    for key, check in checks:
        try:
            checked[key] = check()
        except Problem as problem:
            errors.extend(problem.errors)
    if errors:
        raise validation(errors, _("The draft cannot be saved: check the marked fields."))
    title, text, note = checked["texts"]
    act = LegalAct.objects.create(
        organisation_code=organisation_code, kind=checked["kind"],
        comment_days=checked["days"], search_text=_search_text(title), created_by=actor,
    )
    LegalActVersion.objects.create(act=act, number=1, title=title, text=text, note=note,
                                   created_by=actor)
    _audit(act, actor=actor, action="create")
    return act


def current_version(act: LegalAct) -> LegalActVersion:
    # An act is created with its first version, so it always has one.
    return act.versions.latest("number")


@transaction.atomic
def legal_act_edit(
    *, actor: Any, act_id: int, title: dict, text: dict, note: dict,
    kind: str | None = None, comment_days: int | str | None = None, change_note: str = "",
) -> LegalActVersion:
    """A draft not yet published is edited in place; a published one gets a new numbered
    version (the earlier ones are kept and public). After the period, the text is frozen."""
    act = _act_for_staff(actor=actor, act_id=act_id, lock=True)
    if act.status not in (LegalAct.Status.DRAFT, LegalAct.Status.OPEN):
        raise conflict("period_over", _("The comment period is over: the text can no longer "
                                        "change."))
    title, text, note = _texts_check(title, text, note)
    version = current_version(act)
    if act.status == LegalAct.Status.DRAFT:
        fields = ["search_text"]
        if kind is not None:
            act.kind = _kind_check(kind)
            fields.append("kind")
        if comment_days is not None:
            act.comment_days = _days_check(comment_days)
            fields.append("comment_days")
        version.title, version.text, version.note = title, text, note
        version.save(update_fields=["title", "text", "note"])
    else:
        if (title, text, note) == (version.title, version.text, version.note):
            raise validation([FieldError("/text_kk", _("Nothing has changed."))],
                             _("The new version would be the same as the current one."))
        version = LegalActVersion.objects.create(
            act=act, number=version.number + 1, title=title, text=text, note=note,
            change_note=change_note.strip()[:500], created_by=actor,
        )
        fields = ["search_text"]
    act.search_text = _search_text(title)
    act.save(update_fields=fields)
    _audit(act, actor=actor, action="edit", data={"version": version.number})
    return version


@transaction.atomic
def legal_act_publish(*, actor: Any, act_id: int, today: dt.date | None = None) -> LegalAct:
    act = _act_for_staff(actor=actor, act_id=act_id, head=True, lock=True)
    if act.status != LegalAct.Status.DRAFT:
        raise conflict("already_published", _("This draft is already published."))
    today = today or timezone.localdate()
    act.status = LegalAct.Status.OPEN
    act.opened_at = timezone.now()
    act.closes_on = today + dt.timedelta(days=act.comment_days)
    act.save(update_fields=["status", "opened_at", "closes_on"])
    _audit(act, actor=actor, action="publish", data={"closes_on": act.closes_on.isoformat()})
    return act


# --- the end of the period ---------------------------------------------------------------------


def _close(act_id: int, today: dt.date) -> bool:
    with transaction.atomic():
        done = LegalAct.objects.filter(
            pk=act_id, status=LegalAct.Status.OPEN, closes_on__lt=today
        ).update(status=LegalAct.Status.SUMMARY_DUE, closed_at=timezone.now())
        if done:
            _audit(LegalAct.objects.get(pk=act_id), actor=None, action="close")
    return bool(done)


def legal_acts_close_due(*, today: dt.date | None = None) -> int:
    """Close every period that is over (the scheduled task; safe to run again)."""
    today = today or timezone.localdate()
    ids = LegalAct.objects.filter(status=LegalAct.Status.OPEN, closes_on__lt=today)
    return sum(_close(pk, today) for pk in list(ids.values_list("pk", flat=True)))


def legal_act_close_if_due(*, act_id: int, today: dt.date | None = None) -> bool:
    """The same for one act, when a page finds its period over before the task ran."""
    return _close(act_id, today or timezone.localdate())


# --- comments ----------------------------------------------------------------------------------

# A short list of stems of obscene and insulting words (kk, ru, en): the pre-check only flags a
# comment for the moderator's attention; a person decides.
_PROFANITY = re.compile(
    r"\b(бля|хуй|хуе|хуё|пизд|ебан|ебат|сука|мудак|говн|дерьм|идиот|дебил|тупиц|сволоч|"
    r"fuck|shit|bitch|idiot|moron|асшын|ақымақ|оңбаған|сасық)",
    re.IGNORECASE,
)
_IIN_LIKE = re.compile(r"(?<!\d)\d{6}\s?\d{6}(?!\d)")
_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:kz|ru|com|org|net|info|io|рф|қаз)\b",
                   re.IGNORECASE)


def comment_precheck(text: str) -> list[str]:
    """Flags for the moderator: possible obscene words, numbers like an IIN, links."""
    flags = []
    if _PROFANITY.search(text):
        flags.append("profanity")
    if _IIN_LIKE.search(text):
        flags.append("iin")
    if _LINK.search(text):
        flags.append("link")
    return flags


def comment_submit(
    *, actor: Any, act_id: int, text: str, paragraph: int | str | None = None,
    on_behalf_of: str = "", today: dt.date | None = None,
) -> Comment:
    if not getattr(actor, "is_authenticated", False):
        raise forbidden(_("Sign in to comment."))
    today = today or timezone.localdate()
    legal_act_close_if_due(act_id=act_id, today=today)  # committed even if the comment is not
    with transaction.atomic():
        return _comment_create(actor=actor, act_id=act_id, text=text, paragraph=paragraph,
                               on_behalf_of=on_behalf_of)


def _comment_create(
    *, actor: Any, act_id: int, text: str, paragraph: int | str | None, on_behalf_of: str
) -> Comment:
    act = LegalAct.objects.filter(pk=act_id).exclude(status=LegalAct.Status.DRAFT).first()
    if act is None:
        raise not_found("legal act")
    if act.status != LegalAct.Status.OPEN:
        raise conflict("period_closed", _("The comment period for this draft is closed."))
    version = current_version(act)
    errors: list[FieldError] = []
    text = (text or "").strip()
    if not text:
        errors.append(FieldError("/text", _("Write your comment.")))
    elif len(text) > COMMENT_MAX:
        errors.append(FieldError("/text", _("At most %(count)d characters.")
                                 % {"count": COMMENT_MAX}))
    number = None
    if paragraph not in (None, ""):
        count = len(paragraphs(version.text.get("ru") or version.text.get("kk", "")))
        try:
            number = int(str(paragraph))
        except ValueError:
            number = 0
        if not 1 <= number <= count:
            errors.append(FieldError("/paragraph", _("Choose a paragraph of the draft, from 1 "
                                                     "to %(count)d.") % {"count": count}))
    if on_behalf_of and on_behalf_of not in representative_organisations(user=actor):
        errors.append(FieldError("/on_behalf_of", _("You may comment only for an organisation "
                                                    "you represent.")))
    if errors:
        raise validation(errors, _("The comment cannot be sent: check the marked fields."))
    comment = Comment.objects.create(
        act=act, version_number=version.number, paragraph=number, author=actor,
        on_behalf_of=on_behalf_of, text=text, flags=comment_precheck(text),
    )
    _audit(act, actor=actor, action="comment", subject_iin=getattr(actor, "iin", ""),
           data={"comment": comment.pk, "flags": comment.flags})
    return comment


def _comment_for_staff(*, actor: Any, act_id: int, comment_id: int) -> tuple[LegalAct, Comment]:
    act = _act_for_staff(actor=actor, act_id=act_id, lock=True)
    comment = Comment.objects.select_for_update().filter(pk=comment_id, act=act).first()
    if comment is None:
        raise not_found("comment")
    if act.status not in (LegalAct.Status.OPEN, LegalAct.Status.SUMMARY_DUE):
        raise conflict("summary_published", _("The summary is published: comments and answers "
                                              "are final."))
    return act, comment


@transaction.atomic
def comment_moderate(
    *, actor: Any, act_id: int, comment_id: int, decision: str, reason: str = ""
) -> Comment:
    """Accept, or reject on one of the moderation policy's grounds (the author sees which)."""
    act, comment = _comment_for_staff(actor=actor, act_id=act_id, comment_id=comment_id)
    if decision not in ("accept", "reject"):
        raise validation([FieldError("/decision", _("Choose to publish or to refuse."))])
    if decision == "reject" and reason not in Comment.Reason.values:
        raise validation([FieldError("/reason", _("Choose the ground for refusal from the "
                                                  "moderation policy."))])
    if comment.status != Comment.Status.PENDING:
        raise conflict("already_moderated", _("This comment has already been moderated."))
    comment.status = Comment.Status.ACCEPTED if decision == "accept" else Comment.Status.REJECTED
    comment.reason = reason if decision == "reject" else ""
    comment.moderated_by, comment.moderated_at = actor, timezone.now()
    comment.save(update_fields=["status", "reason", "moderated_by", "moderated_at"])
    _audit(act, actor=actor, action="moderate", subject_iin=comment.author.iin,
           data={"comment": comment.pk, "status": comment.status, "reason": comment.reason})
    return comment


@transaction.atomic
def comment_answer(
    *, actor: Any, act_id: int, comment_id: int, position: str, text: str
) -> Comment:
    act, comment = _comment_for_staff(actor=actor, act_id=act_id, comment_id=comment_id)
    if comment.status != Comment.Status.ACCEPTED:
        raise conflict("not_accepted", _("Only a published comment is answered."))
    errors = []
    if position not in Comment.Position.values:
        errors.append(FieldError("/position", _("Choose whether the comment is taken into "
                                                "account.")))
    text = (text or "").strip()
    if not text:
        errors.append(FieldError("/answer", _("Write the agency's reasoning.")))
    elif len(text) > ANSWER_MAX:
        errors.append(FieldError("/answer", _("At most %(count)d characters.")
                                 % {"count": ANSWER_MAX}))
    if errors:
        raise validation(errors, _("The answer cannot be saved: check the marked fields."))
    comment.position, comment.answer = position, text
    comment.answered_by, comment.answered_at = actor, timezone.now()
    comment.save(update_fields=["position", "answer", "answered_by", "answered_at"])
    _audit(act, actor=actor, action="answer", data={"comment": comment.pk, "position": position})
    return comment


# --- the summary -------------------------------------------------------------------------------


def summary_facts(act: LegalAct) -> dict[str, Any]:
    """The summary's figures: comments by outcome, answers by position, and what changed
    between the first and the final version (per language)."""
    comments = list(act.comments.values_list("status", "position"))
    versions = list(act.versions.order_by("number"))
    first, final = versions[0], versions[-1]
    changes = {}
    for lang in REQUIRED_LANGUAGES:
        diff = text_diff(first.text.get(lang, ""), final.text.get(lang, ""))
        changes[lang] = {"words_added": diff.added, "words_removed": diff.removed,
                         "paragraphs_changed": diff.changed_paragraphs}
    assert act.closes_on is not None  # a summary follows the consultation, which had an end
    return {
        "act": act.pk,
        "organisation": act.organisation_code,
        "kind": act.kind,
        "title": final.title,
        "opened_on": timezone.localtime(act.opened_at).date().isoformat(),
        "closes_on": act.closes_on.isoformat(),
        "comment_days": act.comment_days,
        "versions": len(versions),
        "comments": {
            "received": len(comments),
            "accepted": sum(s == "accepted" for s, _p in comments),
            "rejected": sum(s == "rejected" for s, _p in comments),
            "answered": sum(bool(p) for _s, p in comments),
        },
        "answers": {pos: sum(p == pos for _s, p in comments) for pos in Comment.Position.values},
        "changes": changes,
    }


def _summary_document(act: LegalAct, facts: dict[str, Any], conclusion: str, actor: Any) -> str:
    """Issue the summary as a result document of the agency (rendered, sealed with the agency's
    seal, logged in the transparency log, checkable on the public verification page). The
    agency itself holds it: its BIN stands where a person's IIN would."""
    org = organisation_get(code=act.organisation_code)
    with translation.override("kk"):  # the state language prints the document
        title = {}
        for lang in LANGUAGES:
            with translation.override(lang):
                title[lang] = _("Summary of the public discussion of a draft legal act")
        counts = facts["comments"]
        changes = facts["changes"]["kk"]
        printed = {
            _("Draft"): facts["title"].get("kk", ""),
            _("Comment period"): f"{facts['opened_on']} — {facts['closes_on']}",
            _("Versions"): str(facts["versions"]),
            _("Comments received"): str(counts["received"]),
            _("Comments published"): str(counts["accepted"]),
            _("Comments refused"): str(counts["rejected"]),
            _("Comments answered"): str(counts["answered"]),
            _("Taken into account"): str(facts["answers"]["accepted"]),
            _("Partly taken into account"): str(facts["answers"]["partly"]),
            _("Not taken into account"): str(facts["answers"]["not_accepted"]),
            _("Paragraphs changed"): str(changes["paragraphs_changed"]),
            _("Words added / removed"): f"{changes['words_added']} / {changes['words_removed']}",
        }
        body = conclusion or _("The agency has answered every published comment.")
    document = document_issue(
        actor=actor, source_ref=f"legal-act:{act.pk}:summary", owner_iin=org.bin,
        issuer_code=org.code, issuer_name=org.names, title=title, language="kk",
        body_text=body, printed_fields=printed, valid_days=None,
    )
    return document.public_id


def summary_publish(
    *, actor: Any, act_id: int, conclusion: str = "", today: dt.date | None = None
) -> LegalAct:
    _act_for_staff(actor=actor, act_id=act_id, head=True)
    legal_act_close_if_due(act_id=act_id, today=today or timezone.localdate())
    with transaction.atomic():
        return _summary_publish(actor=actor, act_id=act_id, conclusion=conclusion)


def _summary_publish(*, actor: Any, act_id: int, conclusion: str) -> LegalAct:
    act = _act_for_staff(actor=actor, act_id=act_id, head=True, lock=True)
    if act.status == LegalAct.Status.CONCLUDED:
        raise conflict("summary_published", _("The summary is already published."))
    if act.status != LegalAct.Status.SUMMARY_DUE:
        raise conflict("period_open", _("The summary is published after the comment period."))
    if act.comments.filter(status=Comment.Status.PENDING).exists():
        raise conflict("comments_unmoderated", _("Some comments are still awaiting moderation."))
    unanswered = act.comments.filter(status=Comment.Status.ACCEPTED, position="").count()
    if unanswered:
        raise conflict("comments_unanswered", _("%(count)d published comments have no answer "
                                                "yet: answer every one first.")
                       % {"count": unanswered})
    conclusion = (conclusion or "").strip()
    if len(conclusion) > CONCLUSION_MAX:
        raise validation([FieldError("/conclusion", _("At most %(count)d characters.")
                                     % {"count": CONCLUSION_MAX})])
    facts = summary_facts(act)
    facts["conclusion"] = conclusion
    act.summary_document = _summary_document(act, facts, conclusion, actor)
    act.summary = facts
    act.status = LegalAct.Status.CONCLUDED
    act.summary_published_at = timezone.now()
    act.save(update_fields=["summary", "summary_document", "status", "summary_published_at"])
    _audit(act, actor=actor, action="summary", data={"document": act.summary_document,
                                                     "comments": facts["comments"]})
    return act
