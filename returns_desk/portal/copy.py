"""Where a return is, in the customer's words, and what happens next."""

from returns_desk.returns.models import Resolution, ReturnItem
from returns_desk.returns.models import ReturnStatus as S

STATUS_WORDS: dict[str, tuple[str, str]] = {
    S.REQUESTED: ("We have your return request", "Our team reviews it, usually within one working day."),
    S.NEEDS_INFO: ("We need a little more information", "Please answer our question below so we can go on."),
    S.APPROVED: (
        "Your return is approved",
        "Print the label, pack the items with the packing slip, and drop the parcel off with the carrier.",
    ),
    S.IN_TRANSIT: ("Your parcel is on its way to us", "We inspect it as soon as it arrives."),
    S.RECEIVED: ("We received your parcel", "We inspect the items, usually within two working days."),
    S.INSPECTED: ("We inspected your items", "We are settling your refund, credit or exchange."),
    S.AWAITING_APPROVAL: ("We inspected your items", "We are settling your refund, credit or exchange."),
    S.REFUND_PENDING: ("Your refund is on its way", "Card refunds usually reach your account in 5–10 business days."),
    S.REFUND_FAILED: (
        "We are sorting out your refund",
        "The payment did not go through; our team is on it and will contact you.",
    ),
    S.RESOLVED: (
        "Your return is complete",
        "Thank you. The document below (receipt, credit note or exchange) has the details.",
    ),
    S.REJECTED: ("We could not accept this return", "The reason is below. Reply to our email if you have questions."),
    S.CANCELLED: ("This return was cancelled", "Nothing more will happen with it."),
    S.CLOSED: ("Your return is complete", "Thank you. The document below has the details, if there is one."),
}

# What an item asks for, as the customer chose it.
WANTED_WORDS: dict[str, str] = {
    Resolution.REFUND: "A refund",
    Resolution.STORE_CREDIT: "Store credit",
    Resolution.EXCHANGE: "An exchange",
}

# Each item's inspection outcome, in the customer's words ("" until inspected).
ITEM_OUTCOME_WORDS: dict[str, str] = {
    ReturnItem.Outcome.ACCEPTED: "Accepted",
    ReturnItem.Outcome.REJECTED: "Not accepted",
    ReturnItem.Outcome.MISSING: "Not in the parcel",
    ReturnItem.Outcome.WRONG_ITEM: "A different item came back",
}

# Said instead of a date that has passed: a date in the past is never shown as a promise.
LATE = "This is taking longer than we aimed for; we are on it."
