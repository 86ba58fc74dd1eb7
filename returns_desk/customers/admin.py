from django.contrib import admin

from .models import CustomerFlag


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
