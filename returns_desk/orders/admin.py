from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path

from .importing import parse_file
from .models import Order, OrderLine, Product
from .services import orders_import


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "title", "category", "price", "currency", "stock"]
    list_filter = ["category"]
    search_fields = ["sku", "title"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


class ImportOrdersForm(forms.Form):
    file = forms.FileField(label="Orders file (.json or .csv)")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    change_list_template = "admin/orders/order/change_list.html"
    list_display = ["number", "email", "customer_name", "placed_at", "delivered_at", "amount_paid_display", "currency"]
    list_filter = ["currency", ("delivered_at", admin.EmptyFieldListFilter), "placed_at"]
    search_fields = ["number", "email", "customer_name", "payment_reference"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline]

    @admin.display(description="Paid", ordering="amount_paid")
    def amount_paid_display(self, obj):
        return obj.amount_paid_display

    def get_urls(self):
        extra = [path("import/", self.admin_site.admin_view(self.import_view), name="orders_order_import")]
        return extra + super().get_urls()

    def import_view(self, request):
        """Upload a JSON or CSV file; every row is checked, and nothing is imported unless all are right."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportOrdersForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            orders, errors = parse_file(upload.name, upload.read())
            if not errors:
                result = orders_import(orders=orders)
                stale = (
                    f"; left as they were, being older than the desk's: {', '.join(result.stale)}"
                    if result.stale
                    else ""
                )
                self.message_user(
                    request,
                    f"Imported {upload.name}: {len(result.created)} created, {len(result.updated)} updated{stale}.",
                    messages.SUCCESS,
                )
                return redirect("admin:orders_order_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import orders",
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return render(request, "admin/orders/order/import.html", context, status=400 if errors else 200)


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ["order", "sku", "title", "category", "unit_price", "quantity", "final_sale"]
    list_filter = ["category", "final_sale"]
    search_fields = ["sku", "title", "order__number"]
    list_select_related = ["order"]
    raw_id_fields = ["order", "product"]
