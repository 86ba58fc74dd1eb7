from django.contrib import admin

from .models import Order, OrderLine, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "title", "category", "price", "currency", "stock"]
    list_filter = ["category"]
    search_fields = ["sku", "title"]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "customer_name", "placed_at", "delivered_at", "amount_paid_display", "currency"]
    list_filter = ["currency", ("delivered_at", admin.EmptyFieldListFilter), "placed_at"]
    search_fields = ["number", "email", "customer_name", "payment_reference"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline]

    @admin.display(description="Paid", ordering="amount_paid")
    def amount_paid_display(self, obj):
        return obj.amount_paid_display


@admin.register(OrderLine)
class OrderLineAdmin(admin.ModelAdmin):
    list_display = ["order", "sku", "title", "category", "unit_price", "quantity", "final_sale"]
    list_filter = ["category", "final_sale"]
    search_fields = ["sku", "title", "order__number"]
    list_select_related = ["order"]
    raw_id_fields = ["order", "product"]
