from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """What the desk needs to know about a staff user beyond Django's auth."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    refund_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units this person may refund alone; empty = the policy's VA limit."
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class CustomerFlag(models.Model):
    """Something the desk should know about a customer (by email) before acting on their return."""

    class Kind(models.TextChoices):
        WATCH = "watch", "Watch: many returns or suspected abuse"
        BLOCK = "block", "Block auto-approval"
        ALLOW = "allow", "Trusted: auto-approve"

    email = models.EmailField(unique=True, help_text="Stored in lower case.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WATCH)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    FLAGGED = (Kind.WATCH, Kind.BLOCK)  # what the desk's "flagged customer" filter and badge mean

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class CannedResponse(models.Model):
    """A reply managers prepare once; placeholders are filled in before the VA sends it.

    A canned response may also move the return: "Ask for photos" asks the customer (`request_info`)
    with its text as the question.
    """

    PLACEHOLDERS = {
        "first_name": "the customer's first name",
        "rma": "the RMA number",
        "order_number": "the order number",
        "refund_amount": "the refund (or quoted) amount",
        "timeframe": "the expected timeframe of the next step",
    }

    class Action(models.TextChoices):
        NONE = "", "Only send the message"
        REQUEST_INFO = "request_info", "Ask the customer (waits for their answer)"
        APPROVE = "approve", "Approve the return"
        REJECT = "reject", "Reject the return (the text is the reason)"

    title = models.CharField(max_length=100, unique=True)
    body = models.TextField(
        help_text="Placeholders: {first_name}, {rma}, {order_number}, {refund_amount}, {timeframe}."
    )
    action = models.CharField(max_length=20, choices=Action.choices, blank=True, default=Action.NONE)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .canned import unknown_placeholders

        unknown = unknown_placeholders(self.body)
        if unknown:
            raise ValidationError({"body": f"Unknown placeholder(s): {', '.join(sorted(unknown))}."})
