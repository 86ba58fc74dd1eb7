from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from returns_desk.core.money import format_money

from .models import StaffProfile


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
