from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.html import format_html

from returns_desk.core.money import format_money

from .canned import fill_with
from .models import CannedResponse, CustomerFlag, StaffProfile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    verbose_name_plural = "Desk profile"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "desk_groups", "refund_limit", "is_active"]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("staff_profile").prefetch_related("groups")

    @admin.display(description="Groups")
    def desk_groups(self, obj):
        return ", ".join(g.name for g in obj.groups.all()) or "—"

    @admin.display(description="Refund limit")
    def refund_limit(self, obj):
        profile = getattr(obj, "staff_profile", None)
        if profile is None or profile.refund_limit is None:
            return "policy's"
        return format_money(profile.refund_limit, "USD")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "refund_limit"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]


@admin.register(CustomerFlag)
class CustomerFlagAdmin(admin.ModelAdmin):
    list_display = ["email", "kind", "note", "created_by", "created_at"]
    list_filter = ["kind"]
    search_fields = ["email", "note"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


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
