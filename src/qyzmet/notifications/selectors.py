"""Reading notifications: a person's own list and counts, and the embedded SMS outbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from .channels import OUTBOX_REF
from .demo_inbox import demo_inbox_text
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
    """The last SMS rows the embedded channel 'sent', as stored: one-time codes masked."""
    qs = Notification.objects.filter(channel=Notification.Channel.SMS, provider_ref=OUTBOX_REF)
    if phone is not None:
        qs = qs.filter(recipient=phone)
    return list(qs.order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class DemoSms:
    """An SMS as the demo's phone shows it."""

    created_at: dt.datetime
    recipient: str
    text: str


def sms_demo_messages(*, limit: int = 20, phone: str | None = None) -> list[DemoSms]:
    """The last outbox SMS for the demo page /dev/otp/ (and tests that read a code as a person
    does): the clear text while the in-memory demo inbox holds it, else the stored (masked)
    body. Outside the embedded demo every code stays masked."""
    return [
        DemoSms(
            created_at=row.created_at,
            recipient=row.recipient,
            text=demo_inbox_text(row_id=row.pk, created_at=row.created_at) or row.body,
        )
        for row in sms_outbox_latest(limit=limit, phone=phone)
    ]
