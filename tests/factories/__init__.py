"""factory_boy factories, one module per app. Returns in a given state are built directly (test set-up), not by
services (`returns.return_in_state`)."""

from tests.factories.notifications import OutboundEmailFactory
from tests.factories.orders import OrderFactory, OrderLineFactory, ProductFactory
from tests.factories.payments import DisputeFactory, RefundFactory, StoreCreditFactory
from tests.factories.returns import INSPECTED_OR_LATER, ReturnItemFactory, return_in_state
from tests.factories.staff import UserFactory

__all__ = [
    "INSPECTED_OR_LATER",
    "DisputeFactory",
    "OrderFactory",
    "OrderLineFactory",
    "OutboundEmailFactory",
    "ProductFactory",
    "RefundFactory",
    "ReturnItemFactory",
    "StoreCreditFactory",
    "UserFactory",
    "return_in_state",
]
