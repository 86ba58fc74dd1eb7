"""The demo desk's canned responses: the replies a returns desk sends every day, written once by a manager.

Each is only the message: the email to the customer opens with its greeting (the rule in `desk/canned.py`).
"""

from returns_desk.desk.models import CannedResponse

A = CannedResponse.Action

# (title, body, action), in the order the composer lists them.
CANNED_RESPONSES = [
    (
        "Acknowledgement",
        "Thank you for your return request {rma} for order {order_number}. We are looking at it now and will "
        "get back to you {timeframe}.",
        A.NONE,
    ),
    (
        "Request photos",
        "Could you send us two or three photos of the item: one of the whole item, one close up of the problem, "
        "and one of the label or tags? Reply to this email with them attached, or add them on your return's page.",
        A.REQUEST_INFO,
    ),
    (
        "Label resent",
        "Your prepaid return label for {rma} is on your return's page (the link is below this message): download "
        "it, print it and stick it on the parcel. We will let you know as soon as the parcel reaches us.",
        A.NONE,
    ),
    (
        "Refund on its way",
        "Your refund of {refund_amount} for {rma} is on its way to your original payment method. Depending on "
        "your bank, it shows on your statement {timeframe}.",
        A.NONE,
    ),
    (
        "Rejection with reason",
        "The item we received has been worn and its tags have been removed, and our return policy covers unworn "
        "items with their tags attached.",
        A.REJECT,
    ),
    (
        "Exchange shipped",
        "Your replacement for {rma} has left our warehouse. The carrier and the tracking number are in our other "
        "email and on your return's page. If the size or colour is still not right, just reply to this email.",
        A.NONE,
    ),
]


def ensure_canned_responses() -> int:
    """The demo's canned responses, each once (by title): one a manager has edited is left as it is.
    Returns how many were added."""
    existing = set(CannedResponse.objects.values_list("title", flat=True))
    added = 0
    for position, (title, body, action) in enumerate(CANNED_RESPONSES, start=1):
        if title in existing:
            continue
        canned = CannedResponse(title=title, body=body, action=action, position=position * 10)
        canned.full_clean()  # the same checks as the admin's form: placeholders known, no greeting
        canned.save()
        added += 1
    return added
