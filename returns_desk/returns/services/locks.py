"""The one lock order: the order's row, then the return's, then (for a refund) the refund's.

Every service that moves money takes the order first, so two of them never wait on each other in a cycle;
a service that changes only the return locks just the return.
"""

from returns_desk.orders.models import Order
from returns_desk.returns.models import ReturnRequest


def lock_order_then_return(*, order_id: int, return_id: int) -> None:
    Order.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True).get()
    ReturnRequest.objects.select_for_update().filter(pk=return_id).values_list("pk", flat=True).get()


def lock_return(return_request: ReturnRequest, *, with_order: bool = False) -> ReturnRequest:
    """The return, read again under its row lock (and its order's first, with `with_order`)."""
    if with_order:
        lock_order_then_return(order_id=return_request.order_id, return_id=return_request.pk)
    # `of=("self",)`: PostgreSQL would otherwise also lock the joined order, in an order of its choosing.
    locked = ReturnRequest.objects.select_for_update(of=("self",))
    if with_order:
        locked = locked.select_related("order")  # money services read the order; others need not join it
    return locked.get(pk=return_request.pk)
