from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "returns_desk.notifications"
    verbose_name = "Notifications"
