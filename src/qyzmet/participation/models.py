"""Open legal acts: an agency's draft act, its numbered versions (every edit while the comment
period is open keeps the text before it), the public's comments with their moderation and the
agency's answers, and the summary published (and sealed) when the period is over.

Texts are kept per language as {"kk": …, "ru": …, "en": …}: Kazakh and Russian are required,
English is optional."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise


class LegalAct(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"  # the agency is still writing it: not public
        OPEN = "open", "open"  # published, the comment period runs
        SUMMARY_DUE = "summary_due", "summary due"  # period over, the agency owes a summary
        CONCLUDED = "concluded", "concluded"  # the signed summary is published

    class Kind(models.TextChoices):
        LAW = "law", "law"
        CODE = "code", "code"
        DECREE = "decree", "decree"  # a Government decree
        ORDER = "order", "order"  # a minister's order
        RESOLUTION = "resolution", "resolution"  # a local executive body's (akimat's) resolution

    organisation_code = models.CharField(max_length=60, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    comment_days = models.PositiveSmallIntegerField()
    # Lowercased titles of the current version in every language, for the public search.
    search_text = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_on = models.DateField(null=True, blank=True)  # the last day comments are accepted
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    summary_document = models.CharField(max_length=43, blank=True, default="")  # public_id
    summary_published_at = models.DateTimeField(null=True, blank=True)
    # Not columns, set on the acts shown: the latest version and how many there are
    # (selectors._with_current); the back office's title, status and kind in the reader's
    # language, the agency's name and the days left for comments.
    current: LegalActVersion | None
    version_count: int
    title_text: str
    status_label: Promise
    kind_label: Promise
    agency_name: str
    days_left: int

    class Meta:
        indexes = [models.Index(fields=["status", "closes_on"], name="legalact_status_closes")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(opened_at__isnull=False, closes_on__isnull=False),
                name="legalact_published_has_period",
            ),
        ]

    def __str__(self) -> str:
        return f"legal act {self.pk}"


class LegalActVersion(models.Model):
    act = models.ForeignKey(LegalAct, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.JSONField(default=dict)
    text = models.JSONField(default=dict)
    note = models.JSONField(default=dict)  # the explanatory note
    change_note = models.CharField(max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["act", "number"], name="legalact_version_once"),
        ]


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        REJECTED = "rejected", "rejected"

    class Reason(models.TextChoices):  # the published moderation policy's grounds for refusal
        INSULT = "insult", "insult"
        PERSONAL_DATA = "personal_data", "personal data"
        OFF_TOPIC = "off_topic", "off topic"
        ADVERTISING = "advertising", "advertising"
        DUPLICATE = "duplicate", "duplicate"

    class Position(models.TextChoices):  # the agency's answer
        ACCEPTED = "accepted", "accepted"
        PARTLY = "partly", "partly accepted"
        NOT_ACCEPTED = "not_accepted", "not accepted"

    act = models.ForeignKey(LegalAct, on_delete=models.CASCADE, related_name="comments")
    version_number = models.PositiveIntegerField()  # the version the author read
    paragraph = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A business representative may speak for their organisation: its code, else "".
    on_behalf_of = models.CharField(max_length=60, blank=True, default="")
    text = models.TextField()
    flags = models.JSONField(default=list, blank=True)  # the automatic pre-check's findings
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    position = models.CharField(max_length=20, choices=Position.choices, blank=True, default="")
    answer = models.TextField(blank=True, default="")
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Not columns, set by the back office on the comments it shows: the codes in words and
    # whom the comment is shown as coming from.
    flag_labels: list[Promise]
    status_label: Promise
    reason_label: str | Promise
    position_label: str | Promise
    shown_as: str

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["act", "status"], name="legalact_comment_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="legalact_reject_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(position="") | Q(status="accepted"),
                name="legalact_answer_only_accepted",
            ),
        ]
