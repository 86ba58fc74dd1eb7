from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "returns_desk.notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from returns_desk.returns.signals import message_recorded, sla_breached, transition_recorded

        from .services import email_for_desk_message, email_for_transition, email_managers_sla_breaches

        transition_recorded.connect(email_for_transition, dispatch_uid="notifications.email_for_transition")
        message_recorded.connect(email_for_desk_message, dispatch_uid="notifications.email_for_desk_message")
        sla_breached.connect(
            lambda sender, returns, **kwargs: email_managers_sla_breaches(returns=returns),
            dispatch_uid="notifications.email_managers_sla_breaches",
            weak=False,
        )

        from anymail.signals import inbound

        from .inbound import on_anymail_inbound

        inbound.connect(on_anymail_inbound, dispatch_uid="notifications.inbound")
