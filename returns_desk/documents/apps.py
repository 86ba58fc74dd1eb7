from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "returns_desk.documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from returns_desk.returns.signals import return_transitioned

        from .services import render_documents_after_transition

        return_transitioned.connect(render_documents_after_transition, dispatch_uid="documents.render_on_transition")
