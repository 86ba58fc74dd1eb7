from django.contrib import admin

from .models import ReasonCode, ReturnPolicy


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "return_window_days",
        "restocking_fee_percent",
        "store_credit_bonus_percent",
        "agent_refund_limit",
        "auto_approve",
        "updated_at",
    ]
    list_filter = ["is_active", "auto_approve"]
    search_fields = ["name"]


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "return_shipping_paid_by", "is_active", "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["return_shipping_paid_by", "is_active"]
    search_fields = ["label", "code"]
    prepopulated_fields = {"code": ["label"]}
