"""Reads about money."""

from django.db.models import Sum

from .models import Refund, StoreCredit


def refunded_total_for_order(order_id: int) -> int:
    """Minor units refunded, or on their way back, for an order (pending and succeeded refunds)."""
    total = Refund.objects.filter(order_id=order_id, status__in=Refund.ACTIVE_STATUSES).aggregate(s=Sum("amount"))["s"]
    return total or 0


def store_credit_balance(email: str) -> int:
    """A customer's balance is derived from the ledger, never stored."""
    return StoreCredit.objects.filter(email__iexact=email).aggregate(s=Sum("amount"))["s"] or 0
