from django.contrib import admin

from returns_desk.core.admin import ReadOnlyAdmin

from .models import InboundAttachment, InboundEmail, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox is written and sent by services and tasks; here it is read."""

    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject", "message_id", "event_key", "return_request__rma_number"]
    list_select_related = ["return_request"]
    date_hierarchy = "created_at"


class InboundAttachmentInline(admin.TabularInline):
    model = InboundAttachment
    extra = 0
    can_delete = False
    fields = ["filename", "content_type", "size", "file"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "from_email", "subject", "status", "return_request", "source"]
    list_filter = ["status", "source"]
    search_fields = ["from_email", "subject", "message_id", "return_request__rma_number"]
    list_select_related = ["return_request"]
    inlines = [InboundAttachmentInline]


@admin.register(InboundAttachment)
class InboundAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "content_type", "size", "inbound"]
    list_filter = ["content_type"]
    search_fields = ["filename", "inbound__from_email"]
    list_select_related = ["inbound"]
