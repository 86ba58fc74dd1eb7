"""The shop's return rules, editable in admin; the pure engine in `engine.py` applies them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from returns_desk.core.money import CURRENCY_CHOICES

from .engine import PolicyTerms

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class ReturnPolicy(models.Model):
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True, help_text="Exactly one policy is active at a time.")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    return_window_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Counted from the delivery date."
    )
    restocking_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=PERCENT,
        help_text="Charged on items returned for a reason the customer is responsible for.",
    )
    return_shipping_fee = models.PositiveIntegerField(
        default=0, help_text="Minor units, charged once when a reason code says the customer pays return shipping."
    )
    non_returnable_categories = models.JSONField(default=list, blank=True, help_text='e.g. ["underwear", "gift-cards"]')
    final_sale_returnable = models.BooleanField(default=False)
    store_credit_bonus_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0, validators=PERCENT)
    returnless_refund_threshold = models.PositiveIntegerField(
        default=0, help_text="Minor units; refunds at or under this let the customer keep the item. 0 = never."
    )
    agent_refund_limit = models.PositiveIntegerField(
        default=20000,
        help_text="Minor units a VA may refund without a manager's approval (per-user override on the user).",
    )
    auto_approve = models.BooleanField(default=False, help_text="Approve eligible requests without a VA.")
    sla_first_response_hours = models.PositiveSmallIntegerField(default=24, validators=[MinValueValidator(1)])
    sla_inspection_hours = models.PositiveSmallIntegerField(default=48, validators=[MinValueValidator(1)])
    sla_refund_hours = models.PositiveSmallIntegerField(default=24, validators=[MinValueValidator(1)])
    sla_reply_hours = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1)],
        help_text="Hours to answer a customer's message (in business hours, when they apply).",
    )
    reply_sla_business_hours_only = models.BooleanField(
        default=True, help_text="The reply clock runs only in business hours (below), Monday to Friday."
    )
    business_day_starts_hour = models.PositiveSmallIntegerField(
        default=9, validators=[MaxValueValidator(23)], help_text="Local time, 0–23."
    )
    business_day_ends_hour = models.PositiveSmallIntegerField(
        default=17, validators=[MinValueValidator(1), MaxValueValidator(24)], help_text="Local time, 1–24."
    )
    take_over_idle_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A VA may take over a colleague's ticket idle this long (managers always may)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "return policies"
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="one_active_return_policy"),
            models.CheckConstraint(
                condition=Q(restocking_fee_percent__gte=0, restocking_fee_percent__lte=100),
                name="restocking_fee_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(store_credit_bonus_percent__gte=0, store_credit_bonus_percent__lte=100),
                name="store_credit_bonus_percent_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.is_active else ''}"

    def clean(self) -> None:
        if self.is_active:
            other = ReturnPolicy.objects.filter(is_active=True).exclude(pk=self.pk).first()
            if other is not None:
                raise ValidationError(
                    {"is_active": f"“{other.name}” is the active policy. Use “Make active” in the list to switch."}
                )
        if not isinstance(self.non_returnable_categories, list) or not all(
            isinstance(c, str) for c in self.non_returnable_categories
        ):
            raise ValidationError({"non_returnable_categories": "Give a list of category names."})
        if self.business_day_starts_hour >= self.business_day_ends_hour:
            raise ValidationError({"business_day_ends_hour": "The business day must end after it starts."})

    def terms(self) -> PolicyTerms:
        return PolicyTerms(
            return_window_days=self.return_window_days,
            restocking_fee_percent=float(self.restocking_fee_percent),
            return_shipping_fee=self.return_shipping_fee,
            non_returnable_categories=frozenset(c.lower() for c in self.non_returnable_categories),
            final_sale_returnable=self.final_sale_returnable,
            store_credit_bonus_percent=float(self.store_credit_bonus_percent),
            returnless_refund_threshold=self.returnless_refund_threshold,
        )


class ReasonCode(models.Model):
    class ShippingPaidBy(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        SHOP = "shop", "Shop"

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    return_shipping_paid_by = models.CharField(max_length=10, choices=ShippingPaidBy.choices)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def customer_pays(self) -> bool:
        return self.return_shipping_paid_by == self.ShippingPaidBy.CUSTOMER
