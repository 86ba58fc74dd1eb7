# CustomerFlag is registered in returns/admin.py: a flag is changed through returns' service, which writes the
# change on the timeline of the customer's open returns (this app sits below returns and cannot call it).
from django.contrib import admin

from .models import CustomerDataRequest


@admin.register(CustomerDataRequest)
class CustomerDataRequestAdmin(admin.ModelAdmin):
    """The audit log of exports and erasures: read only, written by the desk's customer data page and the
    retention schedule."""

    list_display = ["created_at", "action", "email", "performed_by", "reason"]
    list_filter = ["action"]
    search_fields = ["email", "reason"]
    list_select_related = ["performed_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
