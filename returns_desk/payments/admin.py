from django.contrib import admin, messages

from returns_desk.core.admin import ReadOnlyAdmin

from .models import Dispute, Refund, StoreCredit, StripeEvent
from .webhooks import stripe_event_process_again


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = [
        "idempotency_key",
        "return_request",
        "amount_display",
        "status",
        "provider",
        "provider_refund_id",
        "created_at",
    ]
    list_filter = ["status", "provider", "currency"]
    search_fields = ["idempotency_key", "provider_refund_id", "return_request__rma_number", "order__number"]
    list_select_related = ["return_request"]


@admin.register(StoreCredit)
class StoreCreditAdmin(ReadOnlyAdmin):
    list_display = ["code", "email", "kind", "amount", "bonus", "currency", "expires_on", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "email"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_dispute_id",
        "order",
        "status",
        "reason",
        "amount",
        "funds_withdrawn",
        "currency",
        "evidence_due_by",
    ]
    list_filter = ["status", "reason"]
    search_fields = ["stripe_dispute_id", "charge_id", "order__number"]
    list_select_related = ["order"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_event_id", "type", "status", "error", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_event_id", "type"]
    actions = ["process_again"]

    @admin.action(
        description="Process again (safe: handlers ignore what they already applied)", permissions=["process"]
    )
    def process_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for event_id in ids:
            stripe_event_process_again(event_id=event_id)
        self.message_user(request, f"{len(ids)} event(s) queued to be processed again.", messages.SUCCESS)

    def has_process_permission(self, request):
        return request.user.has_perm("payments.change_stripeevent")
