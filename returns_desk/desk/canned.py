"""Canned responses: filling their placeholders for one return, the one-greeting rule, and the preview.

The rule: the email greets the customer ("Hello Ines Haddad,"), so a canned response never does. Its text is
the message itself, and it also goes, as it is, into emails that open with their own greeting (a question to
the customer, the reason for a rejection). `CannedResponse.clean` refuses a body that opens with a greeting;
the desk message email leaves its own greeting out when a VA types one (`email/desk_message/greeting.txt`
recognises the same words as `GREETINGS`, and a test holds the two together).
"""

import copy
from dataclasses import dataclass

from django.conf import settings

from returns_desk.documents.rendering import status_url
from returns_desk.notifications.services import plain_text
from returns_desk.returns.models import ReturnRequest

TIMEFRAMES = {
    "requested": "within one working day",
    "needs_info": "as soon as we hear from you",
    "approved": "once the parcel reaches us",
    "in_transit": "within two working days of its arrival",
    "received": "within two working days",
    "inspected": "within one working day",
    "awaiting_approval": "within one working day",
    "refund_pending": "in 5–10 business days",
    "refund_failed": "as soon as we have sorted out the payment",
}

# The words a message that greets opens with (lower case, punctuation ignored).
GREETINGS = frozenset({"hi", "hello", "hey", "dear", "greetings", "good morning", "good afternoon", "good evening"})
_IGNORED = str.maketrans("", "", ",!.:")

# The email a canned response's text goes out in, by the action it takes (approving also sends its own email).
EMAIL_FOR_ACTION = {"request_info": "info_requested", "reject": "rejected"}


def placeholder_values(rr: ReturnRequest) -> dict[str, str]:
    first = (rr.customer_name or "").split(" ")[0] or "there"
    amount = rr.refund_amount_display if rr.refund_amount is not None else rr.quoted_amount_display
    return {
        "first_name": first,
        "rma": rr.rma_number,
        "order_number": rr.order.number,
        "refund_amount": amount,
        "timeframe": TIMEFRAMES.get(rr.status, "soon"),
    }


def fill(body: str, rr: ReturnRequest) -> str:
    """The text with this return's values."""
    return fill_with(body, placeholder_values(rr))


def fill_with(body: str, values: dict[str, str]) -> str:
    """Placeholders replaced; one we do not know (or a stray brace) is left as typed."""

    class Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    try:
        return body.format_map(Keep(values))
    except (ValueError, IndexError, AttributeError):
        return body


def opens_with_greeting(text: str) -> bool:
    """Whether the text starts by greeting the customer ("Hi {first_name},", "Dear Ines", "Good morning")."""
    words = text.lower().translate(_IGNORED).split()[:2]
    return bool(words) and (words[0] in GREETINGS or " ".join(words) in GREETINGS)


@dataclass(frozen=True)
class _Message:
    """What an email template reads of the message it carries."""

    body: str


@dataclass(frozen=True)
class Preview:
    text: str  # the filled text, as it goes into the reply
    email: str  # the email the customer gets, as plain text
    email_kind: str


def preview(*, body: str, action: str, rr: ReturnRequest) -> Preview:
    """A canned response filled with this return's values, and the email the customer would get with it,
    rendered by the email's own template. Nothing is saved."""
    text = fill(body, rr)
    kind = EMAIL_FOR_ACTION.get(action, "desk_message")
    shown = rr
    if kind == "rejected":  # the rejection email reads the reason from the return
        shown = copy.copy(rr)
        shown.rejection_reason = text
    context = {"rr": shown, "shop_name": settings.SHOP_NAME, "status_url": status_url(rr), "event": _Message(text)}
    return Preview(text=text, email=plain_text(f"email/{kind}/body.txt", context), email_kind=kind)
