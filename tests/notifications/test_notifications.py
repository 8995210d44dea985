"""Notifications: rows in the caller's transaction, delivery after commit, idempotency."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from qyzmet.core.problem import Problem
from qyzmet.notifications.channels import OutboxSmsChannel, sms_channel
from qyzmet.notifications.models import Notification
from qyzmet.notifications.selectors import (
    notification_list_for_user,
    notification_unread_count,
    sms_outbox_latest,
)
from qyzmet.notifications.services import notification_mark_read, notification_send
from qyzmet.notifications.tasks import notification_deliver_task
from tests.identity.factories import UserFactory

from .providers import DownSmsProvider

pytestmark = pytest.mark.django_db


def test_send_creates_inapp_and_email_and_the_email_leaves_after_commit(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(email="aigerim@example.kz")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = notification_send(user_id=user.pk, subject="Анықтама дайын", body="Жүктеп алыңыз.")
    assert [r.channel for r in rows] == ["inapp", "email"]
    inapp, email = rows
    assert inapp.status == "sent" and email.status == "queued"
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["aigerim@example.kz"]
    assert mail.outbox[0].subject == "Анықтама дайын"
    email.refresh_from_db()
    assert email.status == "sent" and email.attempts == 1 and email.sent_at is not None


def test_running_the_delivery_task_twice_sends_once(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(user_id=user.pk, subject="s", body="b", channels=["email"])
    assert notification_deliver_task.delay(rows[0].pk).get() == "skipped"
    assert notification_deliver_task.delay(rows[0].pk).get() == "skipped"
    assert len(mail.outbox) == 1
    rows[0].refresh_from_db()
    assert rows[0].attempts == 1


def test_dedup_key_prevents_duplicates(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = notification_send(user_id=user.pk, subject="s", body="b", dedup_key="app-7:ready")
        second = notification_send(user_id=user.pk, subject="s", body="b", dedup_key="app-7:ready")
    assert [r.pk for r in first] == [r.pk for r in second]
    assert Notification.objects.filter(user=user).count() == 2
    assert len(mail.outbox) == 1


def test_sending_again_with_the_same_key_queues_nothing_new(django_capture_on_commit_callbacks):
    """The second sender gets the first one's rows and queues no second delivery (a queued
    email waiting for its retry is not sent early)."""
    user = UserFactory(email="aigerim@example.kz")
    with django_capture_on_commit_callbacks(execute=False) as first_queued:
        first = notification_send(user_id=user.pk, subject="s", body="b", dedup_key="app-8:ready")
    assert len(first_queued) == 1
    with django_capture_on_commit_callbacks(execute=False) as again_queued:
        again = notification_send(user_id=user.pk, subject="s", body="b", dedup_key="app-8:ready")
    assert [r.pk for r in again] == [r.pk for r in first]
    assert [r.status for r in again] == ["sent", "queued"]
    assert again_queued == []


def test_one_insert_and_one_read_for_all_channels():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = UserFactory(email="aigerim@example.kz", phone="+77011234567")
    with CaptureQueriesContext(connection) as queries:
        rows = notification_send(user_id=user.pk, user=user, subject="s", body="b",
                                 channels=["inapp", "email", "sms"], dedup_key="app-9")  # fmt: skip
    assert [r.channel for r in rows] == ["inapp", "email", "sms"] and all(r.pk for r in rows)
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["INSERT", "SELECT"], statements


def test_lazy_text_is_rendered_in_the_recipients_language():
    from django.utils.translation import gettext_lazy

    user = UserFactory(language="ru")
    rows = notification_send(
        user_id=user.pk, subject=gettext_lazy("Notifications"), body="x", channels=["inapp"]
    )
    assert rows[0].subject == "Уведомления"
    assert rows[0].language == "ru"


def test_sms_through_the_outbox_channel(django_capture_on_commit_callbacks):
    user = UserFactory(phone="+77015550000")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(user_id=user.pk, subject="", body="Код: 1", channels=["sms"])
    rows[0].refresh_from_db()
    assert rows[0].status == "sent" and rows[0].provider_ref.startswith("outbox-")
    outbox = sms_outbox_latest(phone="+77015550000")
    assert [(m.body, m.user_id) for m in outbox] == [("Код: 1", user.pk)]
    assert isinstance(sms_channel(), OutboxSmsChannel)


def test_provider_down_retries_then_fails_visibly(settings, django_capture_on_commit_callbacks):
    settings.QYZMET_SMS_CHANNEL = "tests.notifications.providers.DownSmsProvider"
    DownSmsProvider.calls = 0
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        rows = notification_send(user_id=user.pk, subject="", body="x", channels=["sms"])
    row = Notification.objects.get(pk=rows[0].pk)
    assert row.status == "failed"
    assert "provider unreachable" in row.last_error
    assert row.attempts == DownSmsProvider.calls == 6  # the first try and five retries
    assert notification_deliver_task.delay(row.pk).get() == "skipped"
    assert DownSmsProvider.calls == 6


def test_missing_address_is_a_visible_failure():
    user = UserFactory(email="")
    rows = notification_send(user_id=user.pk, subject="s", body="b", channels=["email"])
    assert rows[0].status == "failed" and "email" in rows[0].last_error


def test_mark_read_only_my_own():
    me, other = UserFactory(), UserFactory()
    mine = notification_send(user_id=me.pk, subject="a", body="b", channels=["inapp"])[0]
    theirs = notification_send(user_id=other.pk, subject="c", body="d", channels=["inapp"])[0]
    assert notification_unread_count(user_id=me.pk) == 1
    notification_mark_read(actor=me, notification_id=mine.pk)
    assert notification_unread_count(user_id=me.pk) == 0
    with pytest.raises(Problem) as exc:
        notification_mark_read(actor=me, notification_id=theirs.pk)
    assert exc.value.status == 404
    assert notification_unread_count(user_id=other.pk) == 1


def test_my_notifications_page_shows_only_mine():
    me, other = UserFactory(language="ru"), UserFactory()
    notification_send(user_id=me.pk, subject="Моё уведомление", body="b", channels=["inapp"])
    notification_send(user_id=other.pk, subject="Чужое уведомление", body="d", channels=["inapp"])
    client = Client()
    assert client.get("/my/notifications/").status_code == 302  # sign in first
    client.force_login(me)
    html = client.get("/my/notifications/").content.decode()
    assert "Моё уведомление" in html
    assert "Чужое уведомление" not in html


def test_mark_read_by_form_post():
    me, other = UserFactory(), UserFactory()
    mine = notification_send(user_id=me.pk, subject="a", body="b", channels=["inapp"])[0]
    theirs = notification_send(user_id=other.pk, subject="c", body="d", channels=["inapp"])[0]
    client = Client()
    client.force_login(me)
    response = client.post(f"/my/notifications/{mine.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/my/notifications/"
    assert client.post(f"/my/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/my/notifications/{mine.pk}/read/").status_code == 405
    assert [n.read_at is not None for n in notification_list_for_user(user_id=me.pk)] == [True]


def test_list_newest_first():
    me = UserFactory()
    for i in range(3):
        notification_send(user_id=me.pk, subject=f"n{i}", body="b", channels=["inapp"])
    assert [n.subject for n in notification_list_for_user(user_id=me.pk)] == ["n2", "n1", "n0"]


def test_outbox_links_the_account_only_when_the_phone_is_unambiguous():
    UserFactory(phone="+77019990000")
    UserFactory(phone="+77019990000")
    OutboxSmsChannel().send(phone="+77019990000", text="shared")
    OutboxSmsChannel().send(phone="+77019990001", text="nobody")
    assert [m.user_id for m in sms_outbox_latest(limit=2)] == [None, None]


def test_dev_otp_page_404_unless_enabled(settings):
    OutboxSmsChannel().send(phone="+77010000001", text="Qyzmet: 123456")
    settings.DEBUG = False
    settings.QYZMET_DEMO_SMS_PAGE = False
    assert Client().get("/dev/otp/").status_code == 404
    settings.QYZMET_DEMO_SMS_PAGE = True
    response = Client().get("/dev/otp/")
    assert response.status_code == 200
    assert "Qyzmet: 123456" in response.content.decode()
