"""Messages to people: in-app notices, emails and SMS, with their delivery state.

A row is written in the sender's transaction and delivered after commit, so a message exists if
and only if the change it announces committed. `dedup_key` makes senders idempotent: an event
consumer that runs twice finds its rows already there and creates nothing new.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class Channel(models.TextChoices):
        INAPP = "inapp", "in-app"
        EMAIL = "email", "email"
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    # May be null only for rows the embedded SMS channel writes: a provider knows a phone
    # number, not a person.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    # The address used (email or phone), copied when the row is written: what we actually sent to.
    recipient = models.CharField(max_length=254, blank=True, default="")
    subject = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField()
    language = models.CharField(max_length=2, default="kk")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # The provider's message id once delivered; "outbox" marks rows of the embedded SMS channel.
    provider_ref = models.CharField(max_length=100, blank=True, default="")
    dedup_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    # The page the notification is about (a site path such as /my/applications/42/): the in-app
    # list links it, the email prints it as a full address.
    link = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["user", "channel", "-created_at"], name="notif_user_list"),
            models.Index(
                fields=["user"],
                name="notif_user_unread",
                condition=models.Q(read_at__isnull=True, channel="inapp"),
            ),
            models.Index(fields=["channel", "provider_ref", "-created_at"], name="notif_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.pk}"
