"""The shop's data as the desk needs it: products with stock, orders and their lines."""

from django.db import models
from django.db.models import F, Q

from returns_desk.core.money import CURRENCY_CHOICES, format_money


class Product(models.Model):
    """A sellable SKU; restocking after inspection changes `stock`."""

    sku = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=64, db_index=True)
    price = models.PositiveIntegerField(help_text="Minor units (cents).")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    stock = models.PositiveIntegerField(default=0)
    style = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Products sharing a style are sizes or colours of one another; a customer may exchange between them.",
    )
    variant = models.CharField(max_length=64, blank=True, help_text='What sets it apart in its style, e.g. "Size M".')

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} — {self.title}"


class Order(models.Model):
    number = models.CharField(max_length=32, unique=True)
    email = models.EmailField(db_index=True)
    customer_name = models.CharField(max_length=200, blank=True)
    shipping_address = models.TextField(blank=True, help_text="Where the order went; the return comes from here.")
    placed_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    shipping_paid = models.PositiveIntegerField(default=0, help_text="Minor units the customer paid for shipping.")
    amount_paid = models.PositiveIntegerField(help_text="Minor units charged in total (lines + shipping).")
    payment_reference = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="Stripe PaymentIntent (pi_…) or charge (ch_…) id."
    )
    shipment_carrier = models.CharField(max_length=50, blank=True)
    shipment_tracking_number = models.CharField(max_length=100, blank=True)
    shop_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the shop last changed the order, as its last applied push said (its updated_at, or when "
        "the push was signed); a push dated earlier is not applied.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["placed_at", "amount_paid"], name="order_placed_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(delivered_at__gte=F("placed_at")),
                name="order_delivered_after_placed",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_paid_display(self) -> str:
        return format_money(self.amount_paid, self.currency)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=64)
    unit_price = models.PositiveIntegerField(help_text="Minor units paid per unit, after discounts.")
    quantity = models.PositiveIntegerField()
    final_sale = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive")]
        indexes = [
            models.Index(fields=["sku"]),
            # Covers units sold per SKU for the orders of a period (insights).
            models.Index(fields=["order", "sku", "category", "quantity"], name="orderline_sales_cover_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity
