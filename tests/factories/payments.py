"""Money rows written directly: refunds, store credit and chargebacks, each of a return's (or order's) own (by
default a return whose rows were written directly too: these rows are its money, not a second payment)."""

import factory

from returns_desk.payments.models import Dispute, Refund, StoreCredit
from returns_desk.returns.models import ReturnStatus
from tests.factories.orders import OrderFactory
from tests.factories.returns import return_row_in_state


class RefundFactory(factory.django.DjangoModelFactory):
    """A manual refund of a return's settlement, pending, recorded with its first attempt's idempotency key."""

    class Meta:
        model = Refund

    return_request = factory.LazyFunction(lambda: return_row_in_state(ReturnStatus.REFUND_PENDING))
    order = factory.SelfAttribute("return_request.order")
    attempt = 1
    amount = factory.LazyAttribute(lambda r: r.return_request.refund_amount or r.return_request.quoted_amount)
    currency = factory.SelfAttribute("return_request.currency")
    provider = Refund.Provider.MANUAL
    idempotency_key = factory.LazyAttribute(lambda r: f"refund-{r.return_request.rma_number}-attempt-{r.attempt}")


class StoreCreditFactory(factory.django.DjangoModelFactory):
    """Store credit issued for a return's settlement, with no bonus, under a code of its own."""

    class Meta:
        model = StoreCredit

    return_request = factory.LazyFunction(lambda: return_row_in_state(ReturnStatus.RESOLVED))
    email = factory.SelfAttribute("return_request.email")
    kind = StoreCredit.Kind.ISSUE
    amount = factory.LazyAttribute(lambda c: c.return_request.refund_amount or c.return_request.quoted_amount)
    currency = factory.SelfAttribute("return_request.currency")
    code = factory.Sequence(lambda n: f"SC-TEST{n:06d}")


class DisputeFactory(factory.django.DjangoModelFactory):
    """A Stripe chargeback of a whole order, waiting for the shop's response."""

    class Meta:
        model = Dispute

    order = factory.SubFactory(OrderFactory)
    stripe_dispute_id = factory.Sequence(lambda n: f"dp_test{n}")
    status = Dispute.Status.NEEDS_RESPONSE
    amount = factory.SelfAttribute("order.amount_paid")
    currency = factory.SelfAttribute("order.currency")
