"""Words for each transition: the button a person presses, and what it did, for messages and timelines."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionWords:
    label: str
    past: str
    internal: bool = False  # not shown on the customer's timeline


ACTIONS: dict[str, ActionWords] = {
    "request_info": ActionWords("Ask the customer", "sent a question to the customer"),
    "info_received": ActionWords("Mark information received", "received the customer's answer"),
    "approve": ActionWords("Approve", "approved"),
    "reject": ActionWords("Reject", "rejected"),
    "cancel": ActionWords("Cancel", "cancelled"),
    "expire": ActionWords("Expire", "expired"),
    "mark_in_transit": ActionWords("Mark shipped", "marked as shipped"),
    "receive": ActionWords("Mark received", "marked as received"),
    "inspect": ActionWords("Record inspection", "inspected"),
    "request_refund_approval": ActionWords("Ask a manager to approve the refund", "sent for approval", True),
    "approve_refund": ActionWords("Approve refund", "approved the refund of", True),
    "deny_refund": ActionWords("Deny refund", "denied the refund of", True),
    "issue_refund": ActionWords("Issue refund", "refunded"),
    "refund_succeeded": ActionWords("Confirm refund", "confirmed the refund of"),
    "refund_failed": ActionWords("Mark refund failed", "saw the refund fail for"),
    "retry_refund": ActionWords("Retry refund", "retried the refund of"),
    "issue_store_credit": ActionWords("Issue store credit", "issued store credit for"),
    "ship_exchange": ActionWords("Ship exchange", "shipped the exchange for"),
    "refund_without_return": ActionWords("Refund without return", "refunded without a return"),
    "close": ActionWords("Close", "closed"),
}

TRANSITION_NAMES = tuple(ACTIONS)
