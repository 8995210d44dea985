"""What a person reads instead of this app's codes: topics, statuses, the pre-publication
check's findings and the reasons a question may be rejected (the published policy)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TOPICS = {
    "services": _("Public services"),
    "documents": _("Documents and certificates"),
    "social": _("Social support and pensions"),
    "health": _("Health care"),
    "education": _("Education"),
    "housing": _("Housing and utilities"),
    "transport": _("Roads and transport"),
    "safety": _("Public order and safety"),
    "economy": _("Business and taxes"),
    "other": _("Other"),
}

STATUS_LABELS = {
    "moderation": _("Being checked before publication"),
    "published": _("Awaiting an answer"),
    "rejected": _("Not published"),
    "answered": _("Answered"),
    "overdue": _("Overdue"),
}

FLAG_LABELS = {
    "iin": _("A number that looks like an IIN"),
    "phone": _("A phone number"),
    "profanity": _("Offensive language"),
    "link": _("A link to a website"),
}
# Findings that stop publication: the moderator must reject (the author may ask again).
BLOCKING_FLAGS = ("iin", "phone", "profanity")

# The published policy (portal page "Rules for questions"): each reason a moderator may give.
REJECT_REASONS = {
    "personal_data": (
        _("Personal data"),
        _("The question contains someone's personal data: an IIN, a phone number, an address "
          "or a full name of a private person."),
    ),
    "offensive": (
        _("Offensive language"),
        _("The question contains swearing, insults or calls to hatred."),
    ),
    "advertising": (
        _("Advertising or links"),
        _("The question advertises goods or services or leads to other websites."),
    ),
    "not_a_question": (
        _("Not a question"),
        _("The text asks nothing of the agency or cannot be understood."),
    ),
    "duplicate": (
        _("Already asked"),
        _("The same question has already been published: mark it “I have the same "
          "question” instead."),
    ),
    "wrong_agency": (
        _("Another agency's matter"),
        _("The question is about a matter this agency does not decide; ask the agency that "
          "does."),
    ),
    "personal_case": (
        _("A personal case"),
        _("The question is about one person's own case, which needs an appeal with "
          "documents, not a public answer."),
    ),
}

RATING_LABELS = {
    1: _("1 — very poor"),
    2: _("2 — poor"),
    3: _("3 — fair"),
    4: _("4 — good"),
    5: _("5 — excellent"),
}


def status_key(question) -> str:
    """The status a person sees: a published question past its deadline is "overdue"."""
    if question.status == "published" and getattr(question, "is_overdue", question.overdue):
        return "overdue"
    return question.status


def reader_language() -> str:
    from django.utils.translation import get_language

    lang = (get_language() or "kk")[:2]
    return lang if lang in ("kk", "ru", "en") else "kk"


def decorate(questions, names: dict[str, str]) -> None:
    """What a person reads instead of codes: the agency's name, the topic, the status; the
    position that signed the answer, in the reader's language."""
    lang = reader_language()
    for q in questions:
        q.agency_name = names.get(q.organisation_code, "")
        q.topic_label = TOPICS.get(q.topic, TOPICS["other"])
        q.status_kind = status_key(q)
        q.status_label = STATUS_LABELS[q.status_kind]
        q.answer_position = getattr(q, f"answer_position_{lang}", "") or q.answer_position_en
        q.reject_label = REJECT_REASONS[q.reject_reason][0] if q.reject_reason else ""
