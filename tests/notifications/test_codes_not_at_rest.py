"""One-time codes are never at rest in clear: after a sign-in and after a signing request, no
column of any table holds the code that was texted. The demo page still shows it, from memory,
and only where the settings allow."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from qyzmet.notifications.channels import OutboxSmsChannel, sms_code_send
from qyzmet.notifications.demo_inbox import MASK
from qyzmet.notifications.models import Notification
from qyzmet.notifications.selectors import sms_demo_messages
from qyzmet.signatures.services import pki_init, signature_request_create
from tests.identity.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def _as_a_word(code: str) -> re.Pattern[str]:
    # The code as a word of its own, as a message would carry it; not six digits that happen to
    # sit inside a longer hash or number.
    return re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")


def tables_holding(code: str) -> list[str]:
    """Every `table.column` whose stored value contains the code, over all installed models."""
    word = _as_a_word(code)
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            if isinstance(field, models.JSONField):
                values = model.objects.exclude(**{f"{field.attname}__isnull": True})
                hits = [v for v in values.values_list(field.attname, flat=True) if code in str(v)]
            else:
                hits = list(
                    model.objects.filter(**{f"{field.attname}__contains": code}).values_list(
                        field.attname, flat=True
                    )
                )
            if any(word.search(str(v)) for v in hits):
                found.append(f"{model._meta.db_table}.{field.column}")
    return found


def shown_code(phone: str) -> str:
    text = sms_demo_messages(phone=phone, limit=1)[0].text
    return re.search(r"\b(\d{6})\b", text).group(1)


def test_no_table_holds_the_sign_in_code():
    user = UserFactory()
    client = Client(REMOTE_ADDR="10.3.0.1")
    started = client.post(
        "/api/v1/auth/login",
        {"iin": user.iin, "password": PASSWORD},
        content_type="application/json",
    )
    assert started.status_code == 202
    code = shown_code(user.phone)
    row = Notification.objects.filter(channel="sms", recipient=user.phone).get()
    assert MASK in row.body and code not in row.body
    assert tables_holding(code) == []
    # The code (known only to the phone) still signs in: nothing was lost by not storing it.
    verified = client.post(
        "/api/v1/auth/verify",
        {"challenge": started.json()["challenge"], "code": code},
        content_type="application/json",
    )
    assert verified.status_code == 200
    assert tables_holding(code) == []


def test_no_table_holds_the_signing_code(django_capture_on_commit_callbacks):
    pki_init()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = signature_request_create(actor=user, purpose="test", payload={"a": 1})
    code = shown_code(user.phone)
    row = Notification.objects.filter(channel="sms", recipient=user.phone).get()
    assert MASK in row.body and request.sha256[:12] in row.body and code not in row.body
    assert tables_holding(code) == []


def test_the_scan_would_see_a_code_stored_in_clear():
    """The check itself can fail: an SMS written without its secret is found."""
    OutboxSmsChannel().send(phone="+77010000002", text="Qyzmet: your code is 482913.")
    assert tables_holding("482913") == ["notifications_notification.body"]


def test_a_code_must_be_in_the_text_it_is_sent_with():
    with pytest.raises(ValueError, match="one-time code"):
        sms_code_send(phone="+77010000003", text="no code here", code="123456")


def test_demo_page_shows_the_code_only_with_the_demo_inbox(settings):
    settings.QYZMET_DEMO_SMS_PAGE = True
    sms_code_send(phone="+77010000004", text="Qyzmet: code 246813.", code="246813")
    page = Client().get("/dev/otp/").content.decode()
    assert "Qyzmet: code 246813." in page

    settings.QYZMET_DEMO_SMS_INBOX = False  # as in base and production settings
    page = Client().get("/dev/otp/").content.decode()
    assert "246813" not in page and f"Qyzmet: code {MASK}." in page


def test_production_settings_never_keep_codes():
    from qyzmet.settings import base

    assert base.QYZMET_DEMO_SMS_INBOX is False
