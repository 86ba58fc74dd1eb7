import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from returns_desk.core import clock

from .canned import opens_with_greeting


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
        problems = []
        unknown = unknown_placeholders(self.body)
        if unknown:
            problems.append(f"Unknown placeholder(s): {', '.join(sorted(unknown))}.")
        if opens_with_greeting(self.body):
            # One greeting: the email to the customer already opens with "Hello <their name>," (see canned.py).
            problems.append(
                'Leave out the greeting: the email to the customer already opens with "Hello <their name>,". '
                "Start with the message itself."
            )
        if problems:
            raise ValidationError({"body": problems})


class DeskNotification(models.Model):
    """Something a staff member should look at (the bell): a customer wrote on a ticket they are to answer."""

    class Kind(models.TextChoices):
        CUSTOMER_WROTE = "customer_wrote", "Customer wrote"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_notifications")
    return_request = models.ForeignKey("returns.ReturnRequest", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.CUSTOMER_WROTE)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=clock.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="desk_notice_unread_idx")]

    def __str__(self) -> str:
        return f"{self.user}: {self.text}"


def unknown_placeholders(body: str) -> set[str]:
    """The placeholders a body names that no return can fill (or a stray brace)."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(body) if field is not None}
    except ValueError:
        return {"(unbalanced { or })"}
    return names - set(CannedResponse.PLACEHOLDERS)
