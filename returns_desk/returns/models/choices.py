"""The words a return's fields take: its states, outcomes and priorities."""

from django.db import models


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    NEEDS_INFO = "needs_info", "Waiting on customer"
    APPROVED = "approved", "Approved"
    IN_TRANSIT = "in_transit", "In transit"
    RECEIVED = "received", "Received"
    INSPECTED = "inspected", "Inspected"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting manager approval"
    REFUND_PENDING = "refund_pending", "Refund pending"
    REFUND_FAILED = "refund_failed", "Refund failed"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    CLOSED = "closed", "Closed"


S = ReturnStatus
OPEN_STATUSES = frozenset(S) - {S.RESOLVED, S.REJECTED, S.CANCELLED, S.CLOSED}
# Every state a return reaches only once approved (a closed return counts: it was resolved before closing).
APPROVED_AND_AFTER = frozenset(S) - {S.REQUESTED, S.NEEDS_INFO, S.REJECTED, S.CANCELLED}


# Carriers a parcel can be tracked with, offered to customers ("I've shipped it") and to the desk.
CARRIERS = ["Royal Mail", "DPD", "Evri", "UPS", "DHL", "FedEx", "USPS", "Other"]


class Resolution(models.TextChoices):
    REFUND = "refund", "Refund to original payment"
    STORE_CREDIT = "store_credit", "Store credit"
    EXCHANGE = "exchange", "Exchange"
    MIXED = "mixed", "Item by item"  # the return's items ask for different outcomes; each item says which


# What a customer (or the desk) can choose for one item; "mixed" only describes a whole return.
ITEM_RESOLUTIONS = (Resolution.REFUND, Resolution.STORE_CREDIT, Resolution.EXCHANGE)


class MoneyOutcome(models.TextChoices):
    """What a manager is asked to approve: the outcome and its amount, not just "a refund"."""

    REFUND = "refund", "Refund"
    STORE_CREDIT = "store_credit", "Store credit"
    EXCHANGE = "exchange", "Exchange"
    RETURNLESS = "returnless", "Refund without return"


class Priority(models.IntegerChoices):
    LOW = 0, "Low"
    NORMAL = 1, "Normal"
    HIGH = 2, "High"
    URGENT = 3, "Urgent"
