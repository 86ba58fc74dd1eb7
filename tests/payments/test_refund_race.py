"""Twenty people pressing "Issue refund" at once: one Stripe refund."""

import pytest

from returns_desk.core.actors import Actor
from returns_desk.payments.models import Refund
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, UserFactory, return_in_state
from tests.payments.conftest import stripe_payment, stripe_refunds
from tests.returns.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_concurrent_refunds_make_one_stripe_refund(reference_data, stripe_on):
    from returns_desk.payments import services as payments

    agents = [UserFactory(username=f"rush{i}", first_name=f"Rush{i}", groups=["Agents"]) for i in range(20)]
    order = OrderFactory(amount_paid=2500, payment_reference=stripe_payment(2500))
    rr = return_in_state("inspected", unit_price=2500, order=order)

    results = race(20, lambda i: payments.return_issue_refund(return_request=rr, by=Actor.staff(agents[i])))

    assert [kind for kind, _ in results].count("ok") == 1, results
    assert all(kind == "refused" for kind, _ in results if kind != "ok"), results
    assert Refund.objects.filter(return_request=rr).count() == 1
    assert len(stripe_refunds(order.payment_reference)) == 1
    assert ReturnRequest.objects.get(pk=rr.pk).status == "resolved"
