"""Returns in a given state, built directly (test set-up), not by services; and their items."""

import factory

from returns_desk.core import clock as app_clock
from returns_desk.orders.models import Order
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest, ReturnStatus
from returns_desk.returns.services import rma_for
from tests.factories.orders import OrderFactory, OrderLineFactory

INSPECTED_OR_LATER = {
    ReturnStatus.INSPECTED,
    ReturnStatus.AWAITING_APPROVAL,
    ReturnStatus.REFUND_PENDING,
    ReturnStatus.REFUND_FAILED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
}


class ReturnItemFactory(factory.django.DjangoModelFactory):
    """An item of a return: by default one unit of a new line of the return's own order, damaged."""

    class Meta:
        model = ReturnItem

    return_request = factory.LazyFunction(lambda: return_in_state())
    order_line = factory.SubFactory(OrderLineFactory, order=factory.SelfAttribute("..return_request.order"))
    quantity = 1
    reason = factory.LazyFunction(lambda: ReasonCode.objects.get(code="damaged"))


def return_in_state(
    status: str = ReturnStatus.REQUESTED,
    *,
    unit_price: int = 1000,
    quantity: int = 1,
    reason: str = "damaged",
    order: Order | None = None,
) -> ReturnRequest:
    """A return sitting in `status`, with its conditions met: items inspected when past inspection,
    a refund amount, a quote under the returnless threshold, and the order paid in full."""
    if order is None:
        order = OrderFactory(amount_paid=unit_price * quantity)
    line = OrderLineFactory(order=order, unit_price=unit_price, quantity=quantity)
    inspected = status in INSPECTED_OR_LATER
    amount = unit_price * quantity
    now = app_clock.now()
    sla_clock = sla.clock_after(
        to_state=status,
        from_state="",
        now=now,
        current=sla.Clock(None, None),
        targets=sla.Targets.from_policy(active_policy()),
    )
    rr = ReturnRequest.objects.create(
        rma_number=f"tmp-{line.pk}",
        order=order,
        email=order.email,
        customer_name=order.customer_name,
        status=status,
        sla_due_at=sla_clock.due_at,
        sla_paused_seconds=24 * 3600 if status == ReturnStatus.NEEDS_INFO else None,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        currency=order.currency,
        quoted_amount=amount,
        refund_amount=amount if inspected else None,
        terms=QuotedTerms.from_policy(active_policy(), ReasonCode.objects.all()).as_json(),
        **(
            {"requested_outcome": "refund", "requested_amount": amount, "requested_from": ReturnStatus.INSPECTED}
            if status == ReturnStatus.AWAITING_APPROVAL
            else {}
        ),
    )
    ReturnRequest.objects.filter(pk=rr.pk).update(rma_number=rma_for(rr.pk))
    rr.rma_number = rma_for(rr.pk)
    ReturnItemFactory(
        return_request=rr,
        order_line=line,
        quantity=quantity,
        reason=ReasonCode.objects.get(code=reason),
        outcome="accepted" if inspected else "",
        disposition="restock" if inspected else "",
        refundable_amount=amount if inspected else 0,
    )
    ReturnEvent.objects.create(return_request=rr, kind="transition", actor_kind="customer", to_state=status)
    return rr
