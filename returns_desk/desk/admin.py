from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

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
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "refund_limit"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
