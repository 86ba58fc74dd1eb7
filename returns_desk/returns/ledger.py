"""What a return must know of the money that lives a floor above it, in `payments`.

A quote is capped by everything the order already gave back, and no refund may go out while a payment
dispute is open; both are read from payments' tables. Returns may not import payments (payments builds on
returns), so payments hands these two readings over when the app registry is ready (`PaymentsConfig.ready`).
Reading one before that is a wiring mistake and fails loudly rather than reading as zero.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from returns_desk.orders.models import Order


@dataclass
class _Readings:
    given_back: Callable[[Order], int] | None = None
    dispute_open: Callable[[int], bool] | None = None


_readings = _Readings()


def install(*, given_back: Callable[[Order], int], dispute_open: Callable[[int], bool]) -> None:
    _readings.given_back, _readings.dispute_open = given_back, dispute_open


def _missing() -> ImproperlyConfigured:
    return ImproperlyConfigured("returns_desk.payments must be in INSTALLED_APPS: it owns the order's money.")


def order_given_back(order: Order) -> int:
    """Refunds, store credit (base), replacements and chargebacks already given back for the order."""
    if _readings.given_back is None:
        raise _missing()
    return _readings.given_back(order)


def order_has_open_dispute(order_id: int) -> bool:
    if _readings.dispute_open is None:
        raise _missing()
    return _readings.dispute_open(order_id)
