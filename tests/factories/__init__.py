"""factory_boy factories. Returns in a given state are built directly (test set-up), not by services."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from returns_desk.core import clock as app_clock
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest, ReturnStatus
from returns_desk.returns.services import rma_for


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@shop.example")
    password = factory.django.Password("pw")
    is_staff = True

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        for name in names or []:
            self.groups.add(Group.objects.get(name=name))


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    category = "tops"
    price = 1000
    stock = 5


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"T-{10000 + n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    customer_name = "Casey Customer"
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=8))
    delivered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=5))
    currency = "USD"
    shipping_paid = 0
    amount_paid = 1000
    payment_reference = factory.Sequence(lambda n: f"pi_test{n:020d}")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda line: line.product.sku)
    title = factory.LazyAttribute(lambda line: line.product.title)
    category = factory.LazyAttribute(lambda line: line.product.category)
    unit_price = 1000
    quantity = 1


INSPECTED_OR_LATER = {
    ReturnStatus.INSPECTED,
    ReturnStatus.AWAITING_APPROVAL,
    ReturnStatus.REFUND_PENDING,
    ReturnStatus.REFUND_FAILED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
}


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
    ReturnItem.objects.create(
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
