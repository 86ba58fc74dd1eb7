from django.contrib import admin
from django.utils.html import format_html

from .canned import fill_with
from .models import CannedResponse


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "action", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["action", "is_active"]
    search_fields = ["title", "body"]
    readonly_fields = ["preview"]
    fields = ["title", "body", "preview", "action", "is_active", "position"]

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
        return format_html("<div style='white-space:pre-wrap'>{}</div>", fill_with(obj.body, example))
