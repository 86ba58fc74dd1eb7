"""Each factory, called with nothing, makes a row the database accepts and that belongs together."""

import pytest

from returns_desk.payments.models import Dispute, Refund, StoreCredit
from tests.factories import (
    DisputeFactory,
    OutboundEmailFactory,
    RefundFactory,
    ReturnItemFactory,
    StoreCreditFactory,
)

pytestmark = pytest.mark.django_db


def test_a_return_item_is_a_line_of_the_returns_own_order(reference_data):
    item = ReturnItemFactory()
    assert item.order_line.order == item.return_request.order
    assert item.return_request.items.count() == 2  # the return's own item, and this one


def test_money_rows_belong_to_their_return_and_order(reference_data):
    refund = RefundFactory()
    assert (refund.order, refund.amount, refund.status) == (refund.return_request.order, 1000, Refund.Status.PENDING)
    assert refund.idempotency_key == f"refund-{refund.return_request.rma_number}-attempt-1"
    credit = StoreCreditFactory()
    assert (credit.kind, credit.email, credit.amount) == (StoreCredit.Kind.ISSUE, credit.return_request.email, 1000)
    dispute = DisputeFactory()
    assert dispute.is_open and dispute.amount == dispute.order.amount_paid
    assert Dispute.objects.filter(order=dispute.order).count() == 1


def test_an_outbound_email_goes_to_the_returns_customer(reference_data):
    email = OutboundEmailFactory()
    assert email.to_email == email.return_request.email and email.status == "queued"
    assert email.return_request.rma_number in email.subject
