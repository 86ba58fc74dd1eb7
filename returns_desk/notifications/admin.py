from django.contrib import admin, messages

from returns_desk.core.admin import ReadOnlyAdmin

from .models import InboundAttachment, InboundEmail, OutboundEmail
from .services import email_send_again


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    """The outbox is written and sent by services and tasks; here it is read."""

    list_display = ["created_at", "kind", "to_email", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to_email", "subject", "message_id", "event_key", "return_request__rma_number"]
    list_select_related = ["return_request"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description="Send again (same message, fresh retries)", permissions=["send"])
    def send_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for email_id in ids:
            email_send_again(email_id=email_id)
        self.message_user(request, f"{len(ids)} email(s) queued to be sent again.", messages.SUCCESS)

    def has_send_permission(self, request):
        return request.user.has_perm("notifications.change_outboundemail")


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
