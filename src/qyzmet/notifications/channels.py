"""Delivery channels. SMS goes through a pluggable provider named by settings.QYZMET_SMS_CHANNEL
(a dotted path); email goes through Django's `send_mail`, so EMAIL_BACKEND picks the transport.

Contract of an SMS channel: `send(phone=, text=, secret=)` hands one message to the provider and
returns the provider's message id; it raises `SmsDeliveryFailed` (or any exception) when the
provider refuses, and the caller retries. It must not write to our database except for the
embedded outbox below. `secret` is the part of `text` that must never be stored (a one-time
code): the provider receives the whole text, anything kept on our side has it masked.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from .demo_inbox import demo_inbox_keep, masked
from .models import Notification
from .recipients import recipients

OUTBOX_REF = "outbox"


class SmsDeliveryFailed(Exception):
    """The provider did not accept the message."""


class SmsChannel(Protocol):
    def send(self, *, phone: str, text: str, secret: str = "") -> str: ...


class OutboxSmsChannel:
    """The embedded/demo provider: keeps each SMS as a `Notification` row (channel sms), with
    any one-time code masked, so operators and tests see what was sent and to whom. The clear
    text goes only to the in-memory demo inbox (when the settings allow it), which the demo page
    /dev/otp/ reads as a phone would show it. The row is linked to the account when exactly one
    account has this phone number."""

    def send(self, *, phone: str, text: str, secret: str = "") -> str:
        owners = recipients.user_ids_by_phone(phone)
        row = Notification.objects.create(
            user_id=owners[0] if len(owners) == 1 else None,
            channel=Notification.Channel.SMS,
            recipient=phone,
            body=masked(text, secret),
            status=Notification.Status.SENT,
            sent_at=timezone.now(),
            attempts=1,
            provider_ref=OUTBOX_REF,
        )
        demo_inbox_keep(row_id=row.pk, created_at=row.created_at, text=text)
        return f"{OUTBOX_REF}-{row.pk}"


@lru_cache(maxsize=8)
def _channel_for(path: str) -> SmsChannel:
    return import_string(path)()


def sms_channel() -> SmsChannel:
    """The configured SMS provider (settings are read on each call, so tests may override)."""
    return _channel_for(settings.QYZMET_SMS_CHANNEL)


def sms_code_send(*, phone: str, text: str, code: str) -> str:
    """Text a one-time code. The provider gets `text`; nothing we store holds `code` in clear."""
    if not code or code not in text:
        raise ValueError("the one-time code must appear in the text it is sent with")
    return sms_channel().send(phone=phone, text=text, secret=code)


def email_send(*, to: str, subject: str, body: str) -> str:
    """Send one plain-text email through the configured backend; returns a reference."""
    sent = send_mail(
        subject=subject or "Qyzmet",
        message=body,
        from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
        recipient_list=[to],
        fail_silently=False,
    )
    if sent != 1:
        raise RuntimeError("the email backend did not accept the message")
    return "email"
