"""Sending notifications. Rows are written in the caller's transaction; email and SMS leave
after commit through a Celery task, so nobody is told about a change that rolled back."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from qyzmet.core.compiled import CompiledInsert
from qyzmet.core.problem import Problem, not_found
from qyzmet.core.tasks import enqueue_on_commit

from .channels import email_send, sms_channel
from .models import Notification
from .recipients import recipients

log = logging.getLogger(__name__)

Channel = Notification.Channel
Status = Notification.Status
DEFAULT_CHANNELS = ("inapp", "email")
_INSERT = CompiledInsert(Notification)


class DeliveryFailed(Exception):
    """A provider refused or was unreachable; the delivery task retries."""


def _render(text: Any, language: str) -> str:
    """Lazy translations passed by the caller are rendered in the recipient's language."""
    with translation.override(language):
        return str(text)


def _absolute(link: str) -> str:
    """A site path as the full address a mail client can open."""
    return f"{settings.QYZMET_PUBLIC_BASE_URL.rstrip('/')}{link}"


def notification_send(
    *,
    user_id: int,
    subject: Any,
    body: Any,
    channels: list[str] | tuple[str, ...] = DEFAULT_CHANNELS,
    dedup_key: str | None = None,
    user: Any | None = None,
    link: str = "",
) -> list[Notification]:
    """Notify one person on the given channels; returns one row per channel.

    With a `dedup_key`, calling again with the same key returns the existing rows instead of
    creating new ones (the key is stored per channel as `<key>:<channel>`). In-app rows are
    'sent' at once; email and SMS rows are queued and delivered after the transaction commits.
    A caller that already holds the person passes `user` (saves a read). `link` is the site path
    of the application or appeal the message is about: every message should lead somewhere.

    Every event a citizen is told about runs this, so with a key it is one prepared INSERT for
    all channels that skips rows whose key exists (`core.compiled.CompiledInsert`), then one
    read of the rows by key: two statements instead of a look-up, a savepoint and an INSERT per
    channel. The unique key still decides a race between two senders — the loser reads the
    winner's rows."""
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(f"unknown notification channels: {sorted(unknown)}")
    if user is None or user.pk != user_id:
        user = recipients.user_get(user_id)
    language = user.language or "kk"
    subject_text = _render(subject, language)[:300]
    body_text = _render(body, language)
    now = timezone.now()
    fresh: list[dict[str, Any]] = []
    for channel in dict.fromkeys(channels):
        row: dict[str, Any] = {
            "user_id": user.pk, "channel": channel, "subject": subject_text, "body": body_text,
            "language": language, "created_at": now, "status": Status.QUEUED,
            "dedup_key": f"{dedup_key}:{channel}"[:200] if dedup_key else None,
            "link": link,
        }  # fmt: skip
        if channel == Channel.INAPP:
            row.update(status=Status.SENT, sent_at=now)
        else:
            row["recipient"] = user.email if channel == Channel.EMAIL else user.phone
            if channel == Channel.EMAIL and link:
                row["body"] = f"{body_text}\n\n{_absolute(link)}"
            if not row["recipient"]:
                row.update(status=Status.FAILED, last_error=f"the person has no {channel}")
        fresh.append(row)
    if dedup_key:
        _INSERT.insert_many(fresh, ignore_conflicts=True)
        keys = [r["dedup_key"] for r in fresh]
        by_key = Notification.objects.in_bulk(keys, field_name="dedup_key")
        rows = [by_key[k] for k in keys]
        # Ours are the rows with this call's creation time; an earlier sender's rows are
        # returned but not queued again.
        mine = [r for r in rows if r.created_at == now]
    else:
        rows = mine = Notification.objects.bulk_create(Notification(**r) for r in fresh)
    to_deliver = [r.pk for r in mine if r.status == Status.QUEUED]
    if to_deliver:
        from .tasks import notification_deliver_task  # the tasks module imports this one

        # A broker that is down leaves the rows queued and visible; a re-run delivers them.
        for notification_id in to_deliver:
            enqueue_on_commit(notification_deliver_task, notification_id)
    return rows


def notification_deliver(*, notification_id: int) -> str:
    """Deliver one queued email/SMS. Idempotent: a row already sent (or failed) is skipped, and
    the row lock keeps two workers from sending the same message. Returns "sent" or "skipped";
    raises DeliveryFailed after recording the attempt when the provider fails."""
    error: Exception | None = None
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if row is None or row.status != Status.QUEUED or row.channel == Channel.INAPP:
            return "skipped"
        try:
            if row.channel == Channel.EMAIL:
                ref = email_send(to=row.recipient, subject=row.subject, body=row.body)
            else:
                ref = sms_channel().send(phone=row.recipient, text=row.body)
        except Exception as exc:
            error = exc
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.save(update_fields=["attempts", "last_error"])
        else:
            row.attempts += 1
            row.status = Status.SENT
            row.sent_at = timezone.now()
            row.provider_ref = str(ref)[:100]
            row.save(update_fields=["attempts", "status", "sent_at", "provider_ref"])
            return "sent"
    raise DeliveryFailed(str(error)) from error


@transaction.atomic
def notification_fail(*, notification_id: int, error: str) -> None:
    """The terminal state after the last retry: visible to operators, never retried again."""
    Notification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
        status=Status.FAILED, last_error=error[:2000]
    )


@transaction.atomic
def notification_mark_read(*, actor: Any, notification_id: int) -> Notification:
    """Mark one of the actor's own in-app notifications as read (someone else's is a 404)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise Problem(401, "unauthenticated", "Authentication required", "Sign in first.")
    row = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, user_id=actor.pk, channel=Channel.INAPP)
        .first()
    )
    if row is None:
        raise not_found("notification")
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row
