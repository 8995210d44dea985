"""Delivery channels. SMS goes through a pluggable provider named by settings.QYZMET_SMS_CHANNEL
(a dotted path); email goes through Django's `send_mail`, so EMAIL_BACKEND picks the transport.

Contract of an SMS channel: `send(phone=, text=)` hands one message to the provider and returns
the provider's message id; it raises `SmsDeliveryFailed` (or any exception) when the provider
refuses, and the caller retries. It must not write to our database except for the embedded
outbox below.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django.utils.module_loading import import_string

from qyzmet.identity.selectors import user_ids_by_phone

from .models import Notification

OUTBOX_REF = "outbox"


class SmsDeliveryFailed(Exception):
    """The provider did not accept the message."""


class SmsChannel(Protocol):
    def send(self, *, phone: str, text: str) -> str: ...


class OutboxSmsChannel:
    """The embedded/demo provider: keeps each SMS as a `Notification` row (channel sms) so the
    demo page /dev/otp/ and the tests can read it, exactly as a phone would show it. The row is
    linked to the account when exactly one account has this phone number."""

    def send(self, *, phone: str, text: str) -> str:
        owners = user_ids_by_phone(phone=phone)
        row = Notification.objects.create(
            user_id=owners[0] if len(owners) == 1 else None,
            channel=Notification.Channel.SMS,
            recipient=phone,
            body=text,
            status=Notification.Status.SENT,
            sent_at=timezone.now(),
            attempts=1,
            provider_ref=OUTBOX_REF,
        )
        return f"{OUTBOX_REF}-{row.pk}"


@lru_cache(maxsize=8)
def _channel_for(path: str) -> SmsChannel:
    return import_string(path)()


def sms_channel() -> SmsChannel:
    """The configured SMS provider (settings are read on each call, so tests may override)."""
    return _channel_for(settings.QYZMET_SMS_CHANNEL)


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
