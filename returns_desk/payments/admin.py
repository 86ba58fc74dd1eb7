from django.contrib import admin

from returns_desk.core.admin import ReadOnlyAdmin

from .models import Dispute, Refund, StoreCredit, StripeEvent


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
    list_display = ["code", "email", "kind", "amount", "currency", "expires_on", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["code", "email"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["stripe_dispute_id", "order", "status", "reason", "amount", "currency", "evidence_due_by"]
    list_filter = ["status", "reason"]
    search_fields = ["stripe_dispute_id", "charge_id", "order__number"]
    list_select_related = ["order"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_event_id", "type", "status", "received_at", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_event_id", "type"]
