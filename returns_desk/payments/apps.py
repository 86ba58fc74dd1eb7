from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "returns_desk.payments"
    verbose_name = "Payments"
