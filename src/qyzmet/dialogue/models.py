"""Open dialogue: a citizen's public question to the head of an agency, its moderation, the
agency's answer within the deadline, the asker's rating and other people's "I have the same
question" marks; and each agency's dialogue settings (the head's position, the deadline)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise


class DialogueAgency(models.Model):
    """How an agency takes part: its head's position as the answer names it (kk/ru/en) and its
    answer deadline in working days (empty: `QYZMET_DIALOGUE_DEADLINE_WORKING_DAYS`)."""

    organisation_code = models.CharField(max_length=60, unique=True)
    head_position_kk = models.CharField(max_length=200, blank=True)
    head_position_ru = models.CharField(max_length=200, blank=True)
    head_position_en = models.CharField(max_length=200, blank=True)
    deadline_working_days = models.PositiveSmallIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.organisation_code


class Question(models.Model):
    MODERATION = "moderation"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ANSWERED = "answered"
    STATUSES = [(s, s) for s in (MODERATION, PUBLISHED, REJECTED, ANSWERED)]
    PUBLIC_STATUSES = (PUBLISHED, ANSWERED)
    # Not columns, set on the questions shown: whether past its due date (the selectors), the
    # moderation flags in words (the back office).
    is_overdue: bool
    flag_labels: list[Promise]

    number = models.CharField(max_length=30, unique=True, null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dialogue_questions"
    )
    # What the public sees of the author: their initials when they chose to show them, else
    # nothing ("a citizen"). Never the IIN or the full name.
    author_initials = models.CharField(max_length=8, blank=True)
    organisation_code = models.CharField(max_length=60)
    topic = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    text = models.TextField()
    language = models.CharField(max_length=2, default="kk")
    status = models.CharField(max_length=12, choices=STATUSES, default=MODERATION)
    # The pre-publication check's findings: ["iin", "phone", "profanity", "link"].
    flags = models.JSONField(default=list, blank=True)
    reject_reason = models.CharField(max_length=30, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    received_on = models.DateField()
    due_date = models.DateField()
    overdue = models.BooleanField(default=False)  # set by the scheduled task (idempotent)
    answer_text = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_on_behalf = models.BooleanField(default=False)  # an officer signed for the head
    answer_position_kk = models.CharField(max_length=200, blank=True)
    answer_position_ru = models.CharField(max_length=200, blank=True)
    answer_position_en = models.CharField(max_length=200, blank=True)
    answered_on_time = models.BooleanField(null=True, blank=True)
    working_days_to_answer = models.PositiveSmallIntegerField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    not_answered = models.BooleanField(default=False)  # the asker: "this did not answer me"
    rated_at = models.DateTimeField(null=True, blank=True)
    same_count = models.PositiveIntegerField(default=0)
    # Title, text and answer folded for search (case, Kazakh letters, ё): see `search_fold`.
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="dlg_q_status_id"),
            models.Index(fields=["organisation_code", "status", "id"], name="dlg_q_org_status_id"),
            models.Index(fields=["organisation_code", "status", "due_date", "id"],
                         name="dlg_q_org_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                name="dialogue_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"question {self.pk}"


class SameQuestion(models.Model):
    """One person's "I have the same question" on one question (at most once)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="same_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="dialogue_same_once"),
        ]
