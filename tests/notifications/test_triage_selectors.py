"""The inbox finds an order the way the portal does: "100777" and "#so100777" both mean SO-100777."""

from returns_desk.notifications.selectors import order_by_number
from tests.factories import OrderFactory


def test_the_inbox_finds_an_order_by_its_digits_or_without_its_dash(reference_data, settings):
    settings.PORTAL_ORDER_NUMBER_PREFIX = "SO-"
    order = OrderFactory(number="SO-100777")
    assert order_by_number("100777") == order
    assert order_by_number(" #so100777 ") == order
    assert order_by_number("100778") is None and order_by_number("  ") is None
