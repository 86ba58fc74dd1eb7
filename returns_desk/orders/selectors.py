"""Reads of shop data."""

from django.utils.crypto import constant_time_compare

from .models import Order


def normalise_order_number(raw: str) -> str:
    """What customers type: "#100123 ", "100123" — the shop prints numbers with a leading #."""
    return raw.strip().lstrip("#").strip()


def order_for_customer(*, number: str, email: str) -> Order | None:
    """The order only when both the number and its email match; None otherwise, whichever was wrong."""
    order = Order.objects.filter(number__iexact=normalise_order_number(number)).first()
    supplied = email.strip().lower()
    expected = order.email.strip().lower() if order else "no-such-order@invalid"
    matches = constant_time_compare(expected, supplied)
    return order if order is not None and matches else None
