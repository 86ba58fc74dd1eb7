"""Filling a canned response's placeholders for one return."""

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
