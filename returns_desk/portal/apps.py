from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "returns_desk.portal"
    verbose_name = "Customer portal"
