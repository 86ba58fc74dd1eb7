"""Words for each transition: the button a person presses, and what it did, for messages and timelines."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionWords:
    label: str
    done: str  # reads after "Already …" and inside "(… by Ana at 10:42)"
    internal: bool = False  # not shown on the customer's timeline


TRANSITION_WORDS: dict[str, ActionWords] = {
    "request_info": ActionWords("Ask the customer", "asked for more information"),
    "info_received": ActionWords("Mark information received", "marked as answered"),
    "approve": ActionWords("Approve", "approved"),
    "reject": ActionWords("Reject", "rejected"),
    "cancel": ActionWords("Cancel", "cancelled"),
    "expire": ActionWords("Expire", "expired"),
    "mark_in_transit": ActionWords("Mark shipped", "marked as shipped"),
    "receive": ActionWords("Mark received", "marked as received"),
    "inspect": ActionWords("Record inspection", "inspected"),
    "request_refund_approval": ActionWords("Ask a manager to approve the refund", "sent for approval", True),
    "approve_refund": ActionWords("Approve refund", "approved for refund", True),
    "deny_refund": ActionWords("Deny refund", "denied", True),
    "issue_refund": ActionWords("Issue refund", "refunded"),
    "refund_succeeded": ActionWords("Confirm refund", "confirmed as refunded"),
    "refund_failed": ActionWords("Mark refund failed", "marked as failed"),
    "retry_refund": ActionWords("Retry refund", "retried"),
    "issue_store_credit": ActionWords("Issue store credit", "given store credit"),
    "ship_exchange": ActionWords("Ship exchange", "exchanged"),
    "settle": ActionWords("Settle each item", "settled item by item"),
    "refund_without_return": ActionWords("Refund without return", "refunded without a return"),
    "close": ActionWords("Close", "closed"),
}
