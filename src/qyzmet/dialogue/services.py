"""Commands that change open dialogue. Each is one transaction: the change and its audit row
commit together; the asker's notification is written in the same transaction and leaves after
commit (qyzmet.notifications). Object-level rules are checked here: a moderator or officer of
agency A never acts on agency B's question, whatever the URL says (404)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qyzmet.audit.services import audit_record
from qyzmet.core.calendar import calendar_default
from qyzmet.core.problem import FieldError, Problem, conflict, forbidden, not_found, validation
from qyzmet.identity.selectors import organisation_list, organisation_member_ids, user_roles
from qyzmet.notifications.services import notification_send

from . import moderation
from .labels import BLOCKING_FLAGS, REJECT_REASONS, TOPICS
from .models import DialogueAgency, Question, SameQuestion

DEFAULT_DEADLINE_WORKING_DAYS = 15
ANSWER_ROLES = {"head", "officer"}  # the head signs; an officer signs on the head's behalf
MODERATOR_ROLES = {"head", "officer", "dialogue_moderator"}
TITLE_MIN, TITLE_MAX = 10, 200
TEXT_MIN, TEXT_MAX = 30, 4000
ANSWER_MIN, ANSWER_MAX = 20, 10000
LANGUAGES = ("kk", "ru", "en")


def _today() -> dt.date:
    return timezone.localdate()


def deadline_days(*, organisation_code: str) -> int:
    """The agency's own deadline, else QYZMET_DIALOGUE_DEADLINE_WORKING_DAYS, else 15."""
    own = (
        DialogueAgency.objects.filter(organisation_code=organisation_code)
        .values_list("deadline_working_days", flat=True)
        .first()
    )
    if own:
        return int(own)
    return int(getattr(settings, "QYZMET_DIALOGUE_DEADLINE_WORKING_DAYS",
                       DEFAULT_DEADLINE_WORKING_DAYS))  # fmt: skip


def due_date_for(*, received_on: dt.date, organisation_code: str) -> dt.date:
    return calendar_default().add_working_days(
        received_on, deadline_days(organisation_code=organisation_code)
    )


def head_position(*, organisation_code: str) -> dict[str, str]:
    """The head's position in kk/ru/en, as an answer is signed with it."""
    row = DialogueAgency.objects.filter(organisation_code=organisation_code).first()
    fallback = gettext_lazy("Head of the agency")
    names = {}
    for lang in LANGUAGES:
        own = getattr(row, f"head_position_{lang}", "") if row else ""
        if not own:
            from django.utils import translation

            with translation.override(lang):
                own = str(fallback)
        names[lang] = own
    return names


def agency_codes() -> set[str]:
    return {o.code for o in organisation_list(kind="agency")}


def _roles_in(user, organisation_code: str) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return user_roles(user=user).get(organisation_code, set())


def moderated_organisations(*, user) -> set[str]:
    return {c for c, r in user_roles(user=user).items() if r & MODERATOR_ROLES}


def answering_organisations(*, user) -> set[str]:
    return {c for c, r in user_roles(user=user).items() if r & ANSWER_ROLES}


def _audit(question: Question, *, actor, action: str, data: dict | None = None) -> None:
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        kind="change",
        action=f"dialogue.{action}",
        object_type="dialogue_question",
        object_id=question.pk,
        data=data,
    )


def _notify(question: Question, *, kind: str, subject, body) -> None:
    notification_send(
        user_id=question.author_id,
        subject=subject,
        body=body,
        dedup_key=f"dialogue:{question.pk}:{kind}",
        link=reverse("dialogue-question", kwargs={"question_id": question.pk}),
    )


def _initials(full_name: str) -> str:
    """"Нұрланова Айгерім Серікқызы" → "А. Н." (given name first, then the surname)."""
    parts = [p for p in (full_name or "").split() if p]
    if not parts:
        return ""
    ordered = parts[1:2] + parts[:1] if len(parts) > 1 else parts
    return " ".join(f"{p[0].upper()}." for p in ordered)[:8]


def _locked(question_id: int) -> Question:
    question = Question.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise not_found("question")
    return question


# --- asking ----------------------------------------------------------------------------------


@transaction.atomic
def question_ask(
    *,
    actor,
    organisation_code: str,
    topic: str,
    title: str,
    text: str,
    show_initials: bool = False,
    language: str = "kk",
) -> Question:
    """A signed-in person asks an agency's head a question. It waits for moderation; the
    deadline counts from today (the day it was received) in working days."""
    if not getattr(actor, "is_authenticated", False):
        raise Problem(401, "unauthenticated", "Sign in", _("Sign in to ask a question."))
    title, text = (title or "").strip(), (text or "").strip()
    errors = []
    if organisation_code not in agency_codes():
        errors.append(FieldError("/organisation", _("Choose the agency to ask.")))
    if topic not in TOPICS:
        errors.append(FieldError("/topic", _("Choose a topic.")))
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors.append(FieldError("/title", _("Write a title of %(min)d to %(max)d characters.")
                                 % {"min": TITLE_MIN, "max": TITLE_MAX}))
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        errors.append(FieldError("/text", _("Write the question in %(min)d to %(max)d characters.")
                                 % {"min": TEXT_MIN, "max": TEXT_MAX}))
    if errors:
        raise validation(errors, _("Check the question."))
    today = _today()
    question = Question.objects.create(
        author=actor,
        author_initials=_initials(actor.full_name) if show_initials else "",
        organisation_code=organisation_code,
        topic=topic,
        title=title,
        text=text,
        language=language if language in LANGUAGES else "kk",
        flags=moderation.check(title, text),
        received_on=today,
        due_date=due_date_for(received_on=today, organisation_code=organisation_code),
        search_text=moderation.search_fold(title, text),
    )
    question.number = f"D-{question.created_at:%Y}-{question.pk:06d}"
    question.save(update_fields=["number"])
    _audit(question, actor=actor, action="asked", data={"flags": question.flags})
    return question


# --- moderation ------------------------------------------------------------------------------


@transaction.atomic
def question_moderate(*, actor, question_id: int, decision: str, reason: str = "") -> Question:
    """Publish a question, or reject it with a reason from the published policy. A question
    whose check found an IIN, a phone number or offensive words cannot be published."""
    question = _locked(question_id)
    roles = _roles_in(actor, question.organisation_code)
    if not roles & MODERATOR_ROLES:
        raise not_found("question")
    if question.status != Question.MODERATION:
        raise conflict("already_moderated", _("This question has already been moderated."))
    if decision == "publish":
        blocking = [f for f in question.flags if f in BLOCKING_FLAGS]
        if blocking:
            detail = _("This question cannot be published: the check found personal data or "
                       "offensive language. Reject it with a reason.")
            raise Problem(409, "publication_blocked", _("Cannot publish"), detail,
                          [FieldError("/decision", detail)])
        question.status = Question.PUBLISHED
    elif decision == "reject":
        if reason not in REJECT_REASONS:
            detail = _("Choose the reason from the rules.")
            raise validation([FieldError("/reason", detail)], detail)
        question.status = Question.REJECTED
        question.reject_reason = reason
    else:
        detail = _("Choose publish or reject.")
        raise validation([FieldError("/decision", detail)], detail)
    question.moderated_by = actor
    question.moderated_at = timezone.now()
    question.save(update_fields=["status", "reject_reason", "moderated_by", "moderated_at"])
    _audit(question, actor=actor, action=f"{decision}ed" if decision == "reject" else "published",
           data={"reason": question.reject_reason, "flags": question.flags})
    if decision == "publish":
        _notify(question, kind="published",
                subject=gettext_lazy("Your question is published"),
                body=gettext_lazy("Your question has been published. The agency will answer it "
                                  "by the date shown on its page."))
    else:
        _notify(question, kind="rejected",
                subject=gettext_lazy("Your question was not published"),
                body=REJECT_REASONS[reason][1])
    return question


# --- answering -------------------------------------------------------------------------------


@transaction.atomic
def question_answer(*, actor, question_id: int, text: str) -> Question:
    """The agency's public answer, signed by its head, or by an officer on the head's behalf;
    it names the head's position. On time when given on or before the due date."""
    question = _locked(question_id)
    roles = _roles_in(actor, question.organisation_code)
    if not roles & ANSWER_ROLES:
        if question.organisation_code in moderated_organisations(user=actor):
            raise forbidden(_("Only the head or an officer of the agency answers."))
        raise not_found("question")
    if question.status != Question.PUBLISHED:
        raise conflict("not_awaiting", _("This question is not waiting for an answer."))
    text = (text or "").strip()
    if not ANSWER_MIN <= len(text) <= ANSWER_MAX:
        detail = _("Write the answer in %(min)d to %(max)d characters.") % {
            "min": ANSWER_MIN, "max": ANSWER_MAX}
        raise validation([FieldError("/answer", detail)], detail)
    now = timezone.now()
    answered_on = timezone.localdate(now)
    position = head_position(organisation_code=question.organisation_code)
    question.status = Question.ANSWERED
    question.answer_text = text
    question.answered_at = now
    question.answered_by = actor
    question.answered_on_behalf = "head" not in roles
    question.answer_position_kk = position["kk"]
    question.answer_position_ru = position["ru"]
    question.answer_position_en = position["en"]
    question.answered_on_time = answered_on <= question.due_date
    question.working_days_to_answer = max(
        0, calendar_default().working_days_between(question.received_on, answered_on))
    question.overdue = not question.answered_on_time
    question.search_text = moderation.search_fold(question.title, question.text, text)
    question.save(update_fields=[
        "status", "answer_text", "answered_at", "answered_by", "answered_on_behalf",
        "answer_position_kk", "answer_position_ru", "answer_position_en", "answered_on_time",
        "working_days_to_answer", "overdue", "search_text",
    ])  # fmt: skip
    _audit(question, actor=actor, action="answered",
           data={"on_behalf": question.answered_on_behalf,
                 "on_time": question.answered_on_time})  # fmt: skip
    _notify(question, kind="answered",
            subject=gettext_lazy("Your question has been answered"),
            body=gettext_lazy("The agency has answered your question. You can rate the answer "
                              "on its page."))
    return question


# --- the public's part -----------------------------------------------------------------------


@transaction.atomic
def question_rate(*, actor, question_id: int, rating: int, not_answered: bool = False) -> Question:
    """The asker rates the answer once (1–5) and may say it did not answer the question."""
    question = Question.objects.filter(pk=question_id).first()
    if question is None or not getattr(actor, "pk", None) or question.author_id != actor.pk:
        raise not_found("question")
    if question.status != Question.ANSWERED:
        raise conflict("not_answered", _("Only an answer can be rated."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        detail = _("Choose a rating from 1 to 5.")
        raise validation([FieldError("/rating", detail)], detail)
    now = timezone.now()
    updated = Question.objects.filter(pk=question.pk, rating__isnull=True).update(
        rating=rating, not_answered=bool(not_answered), rated_at=now
    )
    if not updated:
        raise conflict("already_rated", _("You have already rated this answer."))
    question.refresh_from_db()
    _audit(question, actor=actor, action="rated", data={"rating": rating})
    return question


def question_same(*, actor, question_id: int) -> Question:
    """Someone signed in has the same question: counted once per person (not the asker)."""
    question = Question.objects.filter(
        pk=question_id, status__in=Question.PUBLIC_STATUSES).first()
    if question is None or not getattr(actor, "pk", None):
        raise not_found("question")
    if question.author_id == actor.pk:
        raise conflict("own_question", _("This is your own question."))
    try:
        with transaction.atomic():
            SameQuestion.objects.create(question=question, user=actor)
            Question.objects.filter(pk=question.pk).update(same_count=F("same_count") + 1)
    except IntegrityError as exc:
        raise conflict("already_marked", _("You have already marked this question.")) from exc
    question.refresh_from_db(fields=["same_count"])
    return question


# --- the schedule ----------------------------------------------------------------------------


def overdue_mark(*, today: dt.date | None = None) -> dict[str, int]:
    """Mark published questions past their due date as overdue and tell the agency's heads,
    once per question. Safe to re-run: a question already marked is left alone."""
    today = today or _today()
    marked = 0
    candidates = list(
        Question.objects.filter(status=Question.PUBLISHED, overdue=False, due_date__lt=today)
        .values_list("pk", flat=True)[:1000]
    )
    for question_id in candidates:
        with transaction.atomic():
            if not Question.objects.filter(pk=question_id, overdue=False).update(overdue=True):
                continue
            question = Question.objects.get(pk=question_id)
            marked += 1
            _audit(question, actor=None, action="overdue")
            for user_id in organisation_member_ids(code=question.organisation_code,
                                                   roles={"head"}):
                notification_send(
                    user_id=user_id,
                    subject=gettext_lazy("A public question is overdue"),
                    body=gettext_lazy("A citizen's public question to the agency has not been "
                                      "answered by its deadline."),
                    dedup_key=f"dialogue:{question.pk}:overdue:{user_id}",
                    link=reverse("bo-dialogue-question", kwargs={"question_id": question.pk}),
                )
    return {"marked": marked}


@transaction.atomic
def agency_settings_set(
    *, organisation_code: str, head_position: dict[str, str] | None = None,
    deadline_working_days: int | None = None,
) -> DialogueAgency:
    """The agency's head position (kk/ru/en) and its own deadline (None: the default)."""
    row, _created = DialogueAgency.objects.get_or_create(organisation_code=organisation_code)
    for lang, value in (head_position or {}).items():
        setattr(row, f"head_position_{lang}", value)
    row.deadline_working_days = deadline_working_days
    row.save()
    return row
