import string

from django.core.exceptions import ValidationError
from django.db import models


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
        unknown = unknown_placeholders(self.body)
        if unknown:
            raise ValidationError({"body": f"Unknown placeholder(s): {', '.join(sorted(unknown))}."})


def unknown_placeholders(body: str) -> set[str]:
    """The placeholders a body names that no return can fill (or a stray brace)."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(body) if field is not None}
    except ValueError:
        return {"(unbalanced { or })"}
    return names - set(CannedResponse.PLACEHOLDERS)
