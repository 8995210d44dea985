"""The signed-in person's own pages: notifications. Plus the demo SMS page /dev/otp/ and the
site's icon at /favicon.ico, where browsers and bookmarks look for it whatever the page says."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from qyzmet.core.problem import Problem
from qyzmet.notifications.selectors import (
    notification_list_for_user,
    notification_unread_count,
    sms_demo_messages,
)
from qyzmet.notifications.services import notification_mark_read
from qyzmet.portal.signed_in import SignedInRequest


@login_required
@require_GET
@never_cache
def my_notifications_view(request: SignedInRequest) -> HttpResponse:
    context = {
        "notifications": notification_list_for_user(user_id=request.user.pk, limit=100),
        "unread": notification_unread_count(user_id=request.user.pk),
    }
    return render(request, "portal/account/notifications.html", context)


@login_required
@require_POST
def my_notification_read_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification_mark_read(actor=request.user, notification_id=notification_id)
    except Problem as problem:
        if problem.status == 404:
            raise Http404 from problem
        raise
    messages.success(request, _("Marked as read."))
    return redirect("my-notifications")


def _demo_sms_page_enabled() -> bool:
    return bool(settings.DEBUG or getattr(settings, "QYZMET_DEMO_SMS_PAGE", False))


@require_GET
@never_cache
def dev_otp_view(request: HttpRequest) -> HttpResponse:
    """The embedded SMS outbox, so a demo user can read their one-time code. It shows every
    recent SMS, so it exists only in DEBUG or when QYZMET_DEMO_SMS_PAGE is switched on. Codes
    come from the in-memory demo inbox (QYZMET_DEMO_SMS_INBOX): the database holds them masked."""
    if not _demo_sms_page_enabled():
        raise Http404
    response = render(
        request, "portal/account/dev_otp.html", {"messages_sms": sms_demo_messages(limit=20)}
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    found = finders.find("qyzmet/favicon.ico")
    if not found:  # the package's own static file: missing means a broken install
        raise FileNotFoundError("qyzmet/favicon.ico is not among the static files")
    return Path(found).read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def favicon_view(request: HttpRequest) -> HttpResponse:
    """The icon (drawn for Qyzmet, also as favicon.svg) for browsers that ask /favicon.ico."""
    return HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
