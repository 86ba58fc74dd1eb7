from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "returns_desk.documents"
    verbose_name = "Documents"
