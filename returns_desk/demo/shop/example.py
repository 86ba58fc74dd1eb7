"""One customer's delivered order with named lines: the small shop the bench and the tests build on.

The demo's own shop (`catalogue.build_shop`) makes its lines with the same `order_line`, in bulk.
"""

import datetime as dt
from dataclasses import dataclass, field

from returns_desk.core import clock
from returns_desk.orders.models import Order, OrderLine, Product


def order_line(product: Product, *, quantity: int = 1, final_sale: bool = False) -> OrderLine:
    """A line as the shop sells `product`: its SKU, title, category and price copied onto the line (unsaved)."""
    return OrderLine(
        product=product,
        sku=product.sku,
        title=product.title,
        category=product.category,
        unit_price=product.price,
        quantity=quantity,
        final_sale=final_sale,
    )


@dataclass(frozen=True)
class Line:
    """What the customer bought of one product."""

    product: Product
    quantity: int = 1
    final_sale: bool = False


@dataclass
class ExampleOrder:
    order: Order
    lines: dict[str, OrderLine] = field(default_factory=dict)  # by the name the caller gave each line


def example_order(
    *,
    number: str,
    email: str,
    customer_name: str,
    lines: dict[str, Line],
    delivered_at: dt.datetime | None = None,
    placed_at: dt.datetime | None = None,
    payment_reference: str = "",
    shipping_address: str = "",
) -> ExampleOrder:
    """A delivered order that paid exactly for its lines (no shipping), its lines made in the order given.

    Delivered three days ago unless `delivered_at` says otherwise, placed three days before delivery unless
    `placed_at` does.
    """
    delivered_at = delivered_at or clock.now() - dt.timedelta(days=3)
    order = Order.objects.create(
        number=number,
        email=email,
        customer_name=customer_name,
        shipping_address=shipping_address,
        placed_at=placed_at or delivered_at - dt.timedelta(days=3),
        delivered_at=delivered_at,
        currency="USD",
        amount_paid=sum(line.product.price * line.quantity for line in lines.values()),
        payment_reference=payment_reference,
    )
    made = ExampleOrder(order)
    for name, line in lines.items():
        made.lines[name] = order_line(line.product, quantity=line.quantity, final_sale=line.final_sale)
        made.lines[name].order = order
        made.lines[name].save(force_insert=True)
    return made
