from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns_desk.returns"
    verbose_name = "Returns"
