from django.contrib import admin
from django.utils.html import format_html

from returns_desk.core.admin import ReadOnlyAdmin

from .canned import fill_with
from .models import CannedResponse, DeskNotification


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "action", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["action", "is_active"]
    search_fields = ["title", "body"]
    readonly_fields = ["preview"]
    fields = ["title", "body", "preview", "action", "is_active", "position"]

    class Media:
        css = {"all": ["css/admin.css"]}  # the preview's rule: the CSP allows no inline style

    @admin.display(description="Preview (with an example return)")
    def preview(self, obj):
        if not obj or not obj.body:
            return "Save to see the text with example values."
        example = {
            "first_name": "Casey",
            "rma": "RMA-000123",
            "order_number": "100123",
            "refund_amount": "$49.00",
            "timeframe": "within one working day",
        }
        return format_html('<div class="text-preview">{}</div>', fill_with(obj.body, example))


@admin.register(DeskNotification)
class DeskNotificationAdmin(ReadOnlyAdmin):
    """The bell's notices, written by the desk when a customer writes; read here, never edited."""

    list_display = ["created_at", "user", "return_request", "text", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["return_request__rma_number", "user__username", "text"]
    list_select_related = ["user", "return_request"]
