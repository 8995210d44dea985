"""Reading notifications: a person's own list and counts, and the embedded SMS outbox."""

from __future__ import annotations

from django.db.models import QuerySet

from .channels import OUTBOX_REF
from .models import Notification


def notification_list_for_user(*, user_id: int, limit: int = 50) -> list[Notification]:
    """The person's in-app notifications, newest first."""
    return list(
        Notification.objects.filter(user_id=user_id, channel=Notification.Channel.INAPP).order_by(
            "-created_at", "-pk"
        )[:limit]
    )


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(
        user_id=user_id, channel=Notification.Channel.INAPP, read_at__isnull=True
    ).count()


def notification_list_by_dedup_prefix(*, prefix: str) -> QuerySet[Notification]:
    """Rows a sender created under one dedup key (all its channels); for tests and audits."""
    return Notification.objects.filter(dedup_key__startswith=prefix).order_by("pk")


def sms_outbox_latest(*, limit: int = 20, phone: str | None = None) -> list[Notification]:
    """The last SMS messages the embedded channel 'sent' (for the demo page /dev/otp/)."""
    qs = Notification.objects.filter(channel=Notification.Channel.SMS, provider_ref=OUTBOX_REF)
    if phone is not None:
        qs = qs.filter(recipient=phone)
    return list(qs.order_by("-created_at", "-pk")[:limit])
