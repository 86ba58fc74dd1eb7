from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.core.money import format_money

from . import roles
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


# Sign-in: who is locked out (django-axes) and who has a second factor (django-otp). Managers read them and act
# (unlock, remove a lost phone); nobody edits them by hand. Axes' own admin is off (AXES_ENABLE_ADMIN) and
# registered here with managers' permissions; django-otp's is replaced the same way.


class _ManagersReadAndRemove:
    """Managers (whatever their group's model permissions) view and delete; nobody adds or edits."""

    def has_module_permission(self, request) -> bool:
        return roles.is_manager(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_manager(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.is_manager(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessAttempt)
class LockoutAdmin(_ManagersReadAndRemove, AccessAttemptAdmin):
    actions = ["unlock"]

    @admin.action(description="Unlock: forget these failed sign-ins")
    def unlock(self, request, queryset):
        who = sorted({f"{a.username or '?'} from {a.ip_address or '?'}" for a in queryset})
        queryset.delete()
        self.message_user(request, f"Unlocked: {', '.join(who)}. They may sign in again now.")


@admin.register(AccessLog)
class SignInLogAdmin(_ManagersReadAndRemove, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class FailedSignInLogAdmin(_ManagersReadAndRemove, AccessFailureLogAdmin):
    pass


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(_ManagersReadAndRemove, TOTPDeviceAdmin):
    """A lost phone: delete the person's app; they set up a new one when they next sign in."""


@admin.register(StaticDevice)
class RecoveryCodesAdmin(_ManagersReadAndRemove, StaticDeviceAdmin):
    pass
