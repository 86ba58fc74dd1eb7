from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "returns_desk.desk"
    verbose_name = "VA workspace"
