"""factory_boy factories, one module per app. A return in a given state is reached through the services
(`return_in_state`); `return_row_in_state` writes the rows directly, for the few tests that need a situation the
services would not produce in that order."""

from tests.factories.notifications import OutboundEmailFactory
from tests.factories.orders import OrderFactory, OrderLineFactory, ProductFactory
from tests.factories.payments import DisputeFactory, RefundFactory, StoreCreditFactory
from tests.factories.returns import INSPECTED_OR_LATER, ReturnItemFactory, return_in_state, return_row_in_state
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
    "return_row_in_state",
]
