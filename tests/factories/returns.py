"""Returns in a given state, reached through the services as the desk would reach them; and their items."""

import factory

from returns_desk.core import clock as app_clock
from returns_desk.core.actors import Actor
from returns_desk.orders.models import Order
from returns_desk.payments import services as payments
from returns_desk.payments.providers import provider_name_for
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services, sla
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest, ReturnStatus
from returns_desk.returns.services import rma_for
from tests.factories.orders import OrderFactory, OrderLineFactory
from tests.factories.staff import UserFactory

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


def desk_setup_user():
    """The colleague who moved a test's return along before the test starts (a manager: no limit applies)."""
    return UserFactory(username="setup", first_name="Sam", last_name="Setup", groups=["Managers"])


# How a return reaches each state through the services, from `requested`.
STEPS_TO: dict[str, tuple[str, ...]] = {
    ReturnStatus.REQUESTED: (),
    ReturnStatus.NEEDS_INFO: ("request_info",),
    ReturnStatus.APPROVED: ("approve",),
    ReturnStatus.IN_TRANSIT: ("approve", "mark_in_transit"),
    ReturnStatus.RECEIVED: ("approve", "receive"),
    ReturnStatus.INSPECTED: ("approve", "receive", "inspect"),
    ReturnStatus.AWAITING_APPROVAL: ("approve", "receive", "inspect", "request_refund_approval"),
    ReturnStatus.REFUND_PENDING: ("approve", "receive", "inspect", "issue_refund"),
    ReturnStatus.REFUND_FAILED: ("approve", "receive", "inspect", "issue_refund", "refund_failed"),
    ReturnStatus.RESOLVED: ("approve", "receive", "inspect", "issue_refund", "refund_succeeded"),
    ReturnStatus.CLOSED: ("approve", "receive", "inspect", "issue_refund", "refund_succeeded", "close"),
    ReturnStatus.REJECTED: ("reject",),
    ReturnStatus.CANCELLED: ("cancel",),
}


def _step(rr: ReturnRequest, action: str, by: Actor) -> ReturnRequest:
    if action == "request_info":
        return services.return_request_info(return_request=rr, by=by, question="Could you send a photo of the label?")
    if action == "approve":
        return services.return_approve(return_request=rr, by=by)
    if action == "mark_in_transit":
        return services.return_mark_in_transit(return_request=rr, by=by, carrier="DPD", tracking_number="TRK-SETUP")
    if action == "receive":
        return services.return_receive(return_request=rr, by=by)
    if action == "inspect":
        results = [services.ItemInspection(i.pk, "accepted", "like_new", "restock") for i in rr.items.all()]
        return services.return_inspect(return_request=rr, by=by, results=results)
    if action == "request_refund_approval":
        return payments.return_request_refund_approval(return_request=rr, by=by, note="Above the VA's limit.")
    if action == "issue_refund":  # through Stripe when configured; else made at the bank and recorded
        manual = provider_name_for(rr.order.payment_reference) == "manual"
        return payments.return_issue_refund(return_request=rr, by=by, reference="BANK-SETUP" if manual else "")
    if action in ("refund_failed", "refund_succeeded"):
        refund = rr.refunds.get()
        status = "failed" if action == "refund_failed" else "succeeded"
        payments.refund_record_outcome(
            refund_id=refund.pk, status=status, by=Actor.stripe(), provider_refund_id="re_setup", failure_reason=""
        )
        return ReturnRequest.objects.get(pk=rr.pk)
    if action == "close":
        return services.return_close(return_request=rr, by=by)
    if action == "reject":
        return services.return_reject(return_request=rr, by=by, reason="Worn beyond trying on.")
    if action == "cancel":
        return services.return_cancel(return_request=rr, by=Actor.customer())
    raise ValueError(action)


def return_in_state(
    status: str = ReturnStatus.REQUESTED,
    *,
    unit_price: int = 1000,
    quantity: int = 1,
    reason: str = "damaged",
    order: Order | None = None,
) -> ReturnRequest:
    """A return brought to `status` through the services, as the desk would: opened by the customer, then
    moved on by a manager (and Stripe's answers). Past inspection every item is accepted, so the settlement is
    the price paid; the order is paid in full."""
    if order is None:
        order = OrderFactory(amount_paid=unit_price * quantity)
    line = OrderLineFactory(order=order, unit_price=unit_price, quantity=quantity)
    rr = services.return_create(
        order=order,
        items=[services.RequestedItem(line.pk, quantity, reason)],
        by=Actor.customer(),
    )
    steps = STEPS_TO[ReturnStatus(status)]
    by = Actor.staff(desk_setup_user()) if steps else None
    for action in steps:
        rr = _step(rr, action, by)
    return ReturnRequest.objects.get(pk=rr.pk)


def return_row_in_state(
    status: str = ReturnStatus.REQUESTED,
    *,
    unit_price: int = 1000,
    quantity: int = 1,
    reason: str = "damaged",
    order: Order | None = None,
) -> ReturnRequest:
    """A return's rows written straight into `status`, with its conditions met (items inspected when past
    inspection, a refund amount, the order paid in full) and no history. Only for tests that set up what the
    services would not let happen in that order (a race, a money situation built figure by figure); the
    others reach their state through `return_in_state`."""
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
