"""Open legal acts: what is read. Public readers see published drafts (never a draft still being
written), their versions and the comments the moderator published, without their authors'
identity; the agency's staff see their own agency's drafts and every comment on them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from qyzmet.core.problem import not_found

from .diffing import Diff, paragraphs, text_diff
from .models import Comment, LegalAct, LegalActVersion
from .services import staff_organisations

PUBLIC_STATUSES = (LegalAct.Status.OPEN, LegalAct.Status.SUMMARY_DUE, LegalAct.Status.CONCLUDED)


def localized(values: dict[str, str], lang: str) -> str:
    """A text in the reader's language, else in Russian, else in Kazakh (both are required)."""
    return values.get(lang) or values.get("ru") or values.get("kk") or ""


def days_left(act: LegalAct, today: dt.date | None = None) -> int:
    """Calendar days comments are still accepted, today included (0 when closed)."""
    if act.status != LegalAct.Status.OPEN or act.closes_on is None:
        return 0
    today = today or timezone.localdate()
    return max((act.closes_on - today).days + 1, 0)


@dataclass
class ActPage:
    items: list[LegalAct]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset else None


def _with_current(acts: list[LegalAct]) -> list[LegalAct]:
    """Each act with `.current` (its latest version) and `.version_count`: one more query."""
    latest: dict[int, LegalActVersion] = {}
    counts: Counter = Counter()
    for version in LegalActVersion.objects.filter(act__in=[a.pk for a in acts]).order_by(
        "act_id", "number"
    ):
        latest[version.act_id] = version
        counts[version.act_id] += 1
    for act in acts:
        act.current = latest.get(act.pk)
        act.version_count = counts[act.pk]
    return acts


def acts_public(
    *, q: str = "", organisation: str = "", status: str = "", offset: int = 0, limit: int = 20
) -> ActPage:
    qs = LegalAct.objects.filter(status__in=PUBLIC_STATUSES)
    if q.strip():
        for word in q.lower().split()[:8]:
            qs = qs.filter(search_text__contains=word)
    if organisation:
        qs = qs.filter(organisation_code=organisation)
    if status in PUBLIC_STATUSES:
        qs = qs.filter(status=status)
    qs = qs.annotate(
        published_comments=Count("comments", filter=Q(comments__status=Comment.Status.ACCEPTED))
    ).order_by("-opened_at", "-pk")
    total = qs.count()
    items: list[LegalAct] = list(qs[offset:offset + limit])
    return ActPage(items=_with_current(items), total=total, offset=offset, limit=limit)


def organisations_with_acts() -> list[str]:
    return sorted(
        LegalAct.objects.filter(status__in=PUBLIC_STATUSES)
        .values_list("organisation_code", flat=True)
        .distinct()
    )


@dataclass
class ActView:
    act: LegalAct
    versions: list[LegalActVersion]
    comments: list[Comment] = field(default_factory=list)

    @property
    def current(self) -> LegalActVersion:
        return self.versions[-1]

    def version(self, number: int) -> LegalActVersion | None:
        return next((v for v in self.versions if v.number == number), None)


def act_public(*, act_id: int) -> ActView:
    act = LegalAct.objects.filter(pk=act_id, status__in=PUBLIC_STATUSES).first()
    if act is None:
        raise not_found("legal act")
    versions = list(act.versions.order_by("number"))
    comments = list(
        act.comments.filter(status=Comment.Status.ACCEPTED).only(
            "pk", "act_id", "paragraph", "version_number", "on_behalf_of", "text", "position",
            "answer", "answered_at", "created_at", "status",
        )
    )
    return ActView(act=act, versions=versions, comments=comments)


def act_for_staff(*, user: Any, act_id: int) -> ActView:
    act = LegalAct.objects.filter(pk=act_id).first()
    if act is None or act.organisation_code not in staff_organisations(user=user):
        raise not_found("legal act")
    versions = list(act.versions.order_by("number"))
    comments = list(act.comments.select_related("author"))
    return ActView(act=act, versions=versions, comments=comments)


def acts_for_staff(*, user: Any) -> list[LegalAct]:
    orgs = staff_organisations(user=user)
    qs = (
        LegalAct.objects.filter(organisation_code__in=orgs)
        .annotate(
            pending=Count("comments", filter=Q(comments__status=Comment.Status.PENDING)),
            unanswered=Count("comments", filter=Q(comments__status=Comment.Status.ACCEPTED,
                                                  comments__position="")),
        )
        .order_by("-created_at", "-pk")
    )
    return _with_current(list(qs[:200]))


def comments_of_author(*, user: Any, act_id: int) -> list[Comment]:
    """The signed-in reader's own comments on an act, whatever their status (the author sees
    on which ground a comment was refused)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Comment.objects.filter(act_id=act_id, author_id=user.pk))


def version_diff(*, view: ActView, old: int, new: int, lang: str) -> Diff | None:
    a, b = view.version(old), view.version(new)
    if a is None or b is None:
        return None
    return text_diff(localized(a.text, lang), localized(b.text, lang))


def numbered_paragraphs(version: LegalActVersion, lang: str) -> list[tuple[int, str, bool]]:
    """(number, text, whether the text already starts with that number, as acts' points do)."""
    return [(n, text, text.startswith((f"{n}.", f"{n})")))
            for n, text in enumerate(paragraphs(localized(version.text, lang)), start=1)]


def dataset_rows() -> list[dict[str, Any]]:
    """One row per published act for the open dataset: counts only, never a comment's text."""
    acts = (
        LegalAct.objects.filter(status__in=PUBLIC_STATUSES)
        .annotate(
            versions_count=Count("versions", distinct=True),
            received=Count("comments", distinct=True),
            accepted=Count("comments", filter=Q(comments__status="accepted"), distinct=True),
            rejected=Count("comments", filter=Q(comments__status="rejected"), distinct=True),
            answered=Count("comments", filter=~Q(comments__position=""), distinct=True),
        )
        .order_by("pk")
    )
    rows = []
    for act in acts:
        assert act.closes_on is not None  # a public act was opened, so it closes on a day
        rows.append({
            "act_id": act.pk,
            "organisation": act.organisation_code,
            "kind": act.kind,
            "status": act.status,
            "opened_on": timezone.localtime(act.opened_at).date().isoformat(),
            "closes_on": act.closes_on.isoformat(),
            "comment_days": act.comment_days,
            "summary_published_on": timezone.localtime(act.summary_published_at).date().isoformat()
            if act.summary_published_at else None,
            "versions": act.versions_count,
            "comments_received": act.received,
            "comments_accepted": act.accepted,
            "comments_rejected": act.rejected,
            "comments_answered": act.answered,
        })
    return rows
