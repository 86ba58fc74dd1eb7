"""What comes back in a return: its items, the customer's photos of them, and the customer's rating."""

from django.db import models
from django.db.models import Q

from returns_desk.core import clock
from returns_desk.orders.models import OrderLine
from returns_desk.policies.models import ReasonCode
from returns_desk.returns.models.choices import ITEM_RESOLUTIONS
from returns_desk.returns.models.return_request import ReturnRequest


class ReturnItem(models.Model):
    class Grade(models.TextChoices):
        NEW = "new", "As new, sealed"
        LIKE_NEW = "like_new", "Like new"
        USED = "used", "Used"
        DAMAGED = "damaged", "Damaged"

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"
        MISSING = "missing", "Missing from parcel"
        WRONG_ITEM = "wrong_item", "Wrong item sent back"

    class Disposition(models.TextChoices):
        RESTOCK = "restock", "Restock"
        DISPOSE = "dispose", "Dispose"
        VENDOR = "vendor", "Return to vendor"

    class RejectedHandling(models.TextChoices):
        """What happens to an item that is not accepted, in the customer's words."""

        SENT_BACK_OUR_COST = "sent_back_our_cost", "Sent back to you at our cost"
        SENT_BACK_YOUR_COST = "sent_back_your_cost", "Sent back to you at your cost"
        HELD = "held", "Held for you to collect for 30 days"
        DISPOSED = "disposed", "Recycled or disposed of"

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="items")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_items")
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, related_name="+")
    condition_description = models.TextField(blank=True, help_text="The customer's own words.")
    grade = models.CharField(max_length=20, choices=Grade.choices, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    inspection_note = models.TextField(blank=True, help_text="For the desk only.")
    customer_note = models.TextField(
        "Shown to the customer", blank=True, help_text="Why the item was not accepted, in words for the customer."
    )
    rejected_handling = models.CharField(
        "What happens to it", max_length=30, choices=RejectedHandling.choices, blank=True
    )
    resolution = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in ITEM_RESOLUTIONS],
        blank=True,
        help_text="What the customer asked for this item; blank on older returns, which follow the return's.",
    )
    refundable_amount = models.PositiveIntegerField(default=0, help_text="Minor units, settled at inspection.")
    exchange_product = models.ForeignKey(
        "orders.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The size or colour the customer asked for in exchange.",
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="return_item_quantity_positive")]
        indexes = [
            # Cover units returned per line and per reason (insights) without reading the items' rows.
            models.Index(fields=["order_line", "return_request", "quantity"], name="item_line_cover_idx"),
            models.Index(fields=["return_request", "reason", "quantity"], name="item_reason_cover_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.title}"

    @property
    def wanted(self) -> str:
        """The outcome this item asks for: its own, or (on older returns) the return's."""
        return self.resolution or self.return_request.resolution


class ReturnPhoto(models.Model):
    """A customer's photo, re-encoded on upload; kept in private storage and served only through a view that
    checks who asks (the return's link, or desk staff)."""

    item = models.ForeignKey(ReturnItem, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(upload_to="return-photos/%Y/%m/")
    uploaded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.image.name or ""


class SurveyResponse(models.Model):
    """The customer's 1–5 rating of how the return was handled; one per return."""

    return_request = models.OneToOneField(ReturnRequest, on_delete=models.CASCADE, related_name="survey")
    score = models.PositiveSmallIntegerField(choices=[(n, str(n)) for n in range(1, 6)])
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score_1_to_5")]

    def __str__(self) -> str:
        return f"{self.return_request_id}: {self.score}/5"
