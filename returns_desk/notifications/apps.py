from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "returns_desk.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from returns_desk.returns.signals import transition_recorded

        from .services import email_for_transition

        transition_recorded.connect(email_for_transition, dispatch_uid="notifications.email_for_transition")

        from anymail.signals import inbound

        from .inbound import on_anymail_inbound

        inbound.connect(on_anymail_inbound, dispatch_uid="notifications.inbound")
