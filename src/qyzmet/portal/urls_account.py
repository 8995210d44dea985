from django.urls import path

from . import views_account

urlpatterns = [
    path("my/notifications/", views_account.my_notifications_view, name="my-notifications"),
    path(
        "my/notifications/<int:notification_id>/read/",
        views_account.my_notification_read_view,
        name="my-notification-read",
    ),
    path("dev/otp/", views_account.dev_otp_view, name="dev-otp"),
    path("favicon.ico", views_account.favicon_view, name="favicon"),
]
