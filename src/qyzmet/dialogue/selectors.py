"""Reading open dialogue: the public list (search, filters, keyset pages by id), one public
question, an agency's figures, the asker's own questions, the agency's inbox by deadline and its
moderation queue, and the monthly figures behind the open dataset."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from django.db.models import Avg, Count, Q
from django.utils import timezone

from qyzmet.core.pagination import Page, cursor_encode, cursor_key, cursor_read, page_limit
from qyzmet.core.problem import not_found

from . import services
from .models import Question, SameQuestion
from .moderation import search_fold

PUBLIC_FILTERS = ("answered", "awaiting", "overdue")


def _annotate_overdue(questions: list[Question], today: dt.date | None = None) -> list[Question]:
    today = today or timezone.localdate()
    for q in questions:
        q.is_overdue = q.status == Question.PUBLISHED and (q.overdue or q.due_date < today)
    return questions


def _page(qs, *, cursor: str | None, limit: int | None, order: str = "id") -> Page:
    limit = page_limit(limit)
    if cursor:
        position = cursor_read(cursor, id=cursor_key)
        qs = qs.filter(pk__lt=position["id"])
    rows = list(qs.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = cursor_encode({"id": rows[-1].pk}) if more and rows else None
    return Page(items=_annotate_overdue(rows), next_cursor=nxt)


def public_list(
    *,
    q: str = "",
    organisation_code: str = "",
    status: str = "",
    topic: str = "",
    cursor: str | None = None,
    limit: int | None = 20,
) -> Page:
    """Published and answered questions, newest first. `q` searches title, text and answer
    folded the same way whatever language the reader uses (see `moderation.search_fold`)."""
    qs = Question.objects.filter(status__in=Question.PUBLIC_STATUSES)
    if organisation_code:
        qs = qs.filter(organisation_code=organisation_code)
    today = timezone.localdate()
    if status == "answered":
        qs = qs.filter(status=Question.ANSWERED)
    elif status == "awaiting":
        qs = qs.filter(status=Question.PUBLISHED, overdue=False, due_date__gte=today)
    elif status == "overdue":
        qs = qs.filter(Q(overdue=True) | Q(due_date__lt=today), status=Question.PUBLISHED)
    if topic:
        qs = qs.filter(topic=topic)
    for word in search_fold(q).split()[:8]:
        qs = qs.filter(search_text__contains=word)
    return _page(qs, cursor=cursor, limit=limit)


def question_public(*, question_id: int) -> Question:
    question = Question.objects.filter(
        pk=question_id, status__in=Question.PUBLIC_STATUSES).first()
    if question is None:
        raise not_found("question")
    return _annotate_overdue([question])[0]


def question_for_author(*, user, question_id: int) -> Question | None:
    """The asker's own question in any state (None for anyone else's)."""
    if not getattr(user, "pk", None):
        return None
    question = Question.objects.filter(pk=question_id, author_id=user.pk).first()
    return _annotate_overdue([question])[0] if question else None


def user_marked_same(*, user, question_id: int) -> bool:
    if not getattr(user, "pk", None):
        return False
    return SameQuestion.objects.filter(question_id=question_id, user_id=user.pk).exists()


def my_questions(*, user, cursor: str | None = None, limit: int | None = 20) -> Page:
    return _page(Question.objects.filter(author_id=user.pk), cursor=cursor, limit=limit)


def agency_figures(*, organisation_code: str) -> dict[str, Any]:
    """Public figures of one agency: questions published, answered, answered in time, overdue
    now, the mean rating and how many ratings it is made of."""
    today = timezone.localdate()
    qs = Question.objects.filter(organisation_code=organisation_code,
                                 status__in=Question.PUBLIC_STATUSES)  # fmt: skip
    figures = qs.aggregate(
        questions=Count("id"),
        answered=Count("id", filter=Q(status=Question.ANSWERED)),
        in_time=Count("id", filter=Q(answered_on_time=True)),
        overdue=Count("id", filter=Q(status=Question.PUBLISHED)
                      & (Q(overdue=True) | Q(due_date__lt=today))),
        ratings=Count("rating"),
        mean_rating=Avg("rating"),
    )
    if figures["mean_rating"] is not None:
        figures["mean_rating"] = round(float(figures["mean_rating"]), 1)
    return figures


def agencies_with_questions() -> dict[str, int]:
    """Agency code → public questions, for the list page's overview."""
    rows = (Question.objects.filter(status__in=Question.PUBLIC_STATUSES)
            .values("organisation_code").annotate(n=Count("id")))  # fmt: skip
    return {r["organisation_code"]: r["n"] for r in rows}


# --- back office -----------------------------------------------------------------------------


def inbox(*, user, organisation_code: str = "", cursor: str | None = None,
          limit: int | None = 25) -> Page:
    """Questions awaiting the answer of the user's agencies, the earliest deadline first."""
    orgs = services.answering_organisations(user=user) | services.moderated_organisations(
        user=user)
    if organisation_code:
        orgs = orgs & {organisation_code}
    qs = Question.objects.filter(organisation_code__in=orgs, status=Question.PUBLISHED)
    limit = page_limit(limit, 25)
    if cursor:
        pos = cursor_read(cursor, due=dt.date.fromisoformat, id=cursor_key)
        qs = qs.filter(Q(due_date__gt=pos["due"]) | Q(due_date=pos["due"], id__gt=pos["id"]))
    rows = list(qs.order_by("due_date", "id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = (cursor_encode({"due": rows[-1].due_date.isoformat(), "id": rows[-1].pk})
           if more and rows else None)  # fmt: skip
    return Page(items=_annotate_overdue(rows), next_cursor=nxt)


def moderation_queue(*, user, limit: int = 100) -> list[Question]:
    orgs = services.moderated_organisations(user=user)
    return list(Question.objects.filter(organisation_code__in=orgs, status=Question.MODERATION)
                .order_by("id")[:limit])  # fmt: skip


def recent_answered(*, user, limit: int = 20) -> list[Question]:
    orgs = services.answering_organisations(user=user)
    return list(Question.objects.filter(organisation_code__in=orgs, status=Question.ANSWERED)
                .order_by("-answered_at", "-id")[:limit])  # fmt: skip


def question_for_staff(*, user, question_id: int) -> Question:
    """One question of the user's agencies (any state); anyone else's is 404."""
    orgs = services.answering_organisations(user=user) | services.moderated_organisations(
        user=user)
    question = Question.objects.filter(pk=question_id, organisation_code__in=orgs).first()
    if question is None:
        raise not_found("question")
    return _annotate_overdue([question])[0]


# --- open data -------------------------------------------------------------------------------


def monthly_figures() -> list[dict[str, Any]]:
    """Per agency and month received: received, published, answered, answered in time, the
    median working days to answer, the mean rating and how many ratings. Unsuppressed: the
    dataset applies k-anonymity."""
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"received": 0, "published": 0, "answered": 0, "in_time": 0, "days": [],
                 "ratings": []})  # fmt: skip
    rows = Question.objects.values_list(
        "organisation_code", "received_on", "status", "answered_on_time",
        "working_days_to_answer", "rating")
    for code, received, status, on_time, days, rating in rows.iterator():
        g = groups[(code, f"{received:%Y-%m}")]
        g["received"] += 1
        if status in Question.PUBLIC_STATUSES:
            g["published"] += 1
        if status == Question.ANSWERED:
            g["answered"] += 1
            g["in_time"] += bool(on_time)
            if days is not None:
                g["days"].append(days)
        if rating is not None:
            g["ratings"].append(rating)
    out = []
    for (code, month), g in sorted(groups.items()):
        out.append({
            "organisation": code, "month": month, "received": g["received"],
            "published": g["published"], "answered": g["answered"], "in_time": g["in_time"],
            "median_days": statistics.median(g["days"]) if g["days"] else None,
            "ratings": g["ratings"],
        })  # fmt: skip
    return out
