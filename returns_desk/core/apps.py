from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "returns_desk.core"
    verbose_name = "Core"
