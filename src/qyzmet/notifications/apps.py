from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "qyzmet.notifications"
    label = "notifications"
