from django.contrib import admin

from returns_desk.core.admin import ReadOnlyAdmin

from .models import Document


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Rendered by a task from the return's data; a change to that data renders them again."""

    list_display = ["return_request", "kind", "file", "rendered_at"]
    list_filter = ["kind"]
    search_fields = ["return_request__rma_number"]
    list_select_related = ["return_request"]
