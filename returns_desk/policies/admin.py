from django.contrib import admin, messages

from .models import ReasonCode, ReturnPolicy
from .services import policy_activate


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
    actions = ["make_active"]

    @admin.action(description="Make active (the others become inactive)")
    def make_active(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one policy to make active.", messages.ERROR)
            return
        policy = policy_activate(policy=queryset.get())
        self.message_user(request, f"“{policy.name}” is now the active policy.", messages.SUCCESS)


@admin.register(ReasonCode)
class ReasonCodeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "return_shipping_paid_by", "is_active", "position"]
    list_editable = ["position", "is_active"]
    list_filter = ["return_shipping_paid_by", "is_active"]
    search_fields = ["label", "code"]
    prepopulated_fields = {"code": ["label"]}
