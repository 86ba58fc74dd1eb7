"""Refunds through the manual provider: our own guards, two phases, repeat answers change nothing."""

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.payments.selectors import store_credit_balance
from returns_desk.returns.models import ReturnRequest
from tests.factories import DisputeFactory, OrderFactory, return_in_state, return_row_in_state


def test_refund_is_recorded_first_then_sent_on_commit(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected", unit_price=1800)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")
        refund = Refund.objects.get(return_request=rr)
        assert refund.status == "pending"
        assert refund.idempotency_key == f"refund-{rr.rma_number}-attempt-1"
    assert callbacks, "the provider call must wait for the commit"
    for callback in callbacks:
        callback()
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == ("succeeded", "BANK-1")
    assert ReturnRequest.objects.get(pk=rr.pk).status == "resolved"


def test_manual_refund_is_recorded_only_with_its_reference(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected")
    with pytest.raises(ServiceError, match="make the refund in your bank or back office first"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="  ")
    assert not Refund.objects.exists()
    assert ReturnRequest.objects.get(pk=rr.pk).status == "inspected"
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-9")
    refund = Refund.objects.get(return_request=rr)
    assert (refund.status, refund.provider_refund_id) == ("succeeded", "BANK-9")
    rr.refresh_from_db()
    assert rr.status == "resolved"
    told = rr.events.get(transition="issue_refund")
    assert told.body.startswith("Refund of $10.00 recorded by Ana (within the limit of $200.00)")  # never "sent"
    assert f"you should see it by {refund.expected_by.day} {refund.expected_by:%B %Y}" in told.customer_text
    assert "limit" not in told.customer_text


def test_failed_refund_is_retried_with_a_new_key(agent, django_capture_on_commit_callbacks):
    rr = return_in_state("inspected")
    with django_capture_on_commit_callbacks(execute=False):  # recorded, not yet confirmed
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")
    first = Refund.objects.get(return_request=rr)
    payments.refund_mark_failed_manual(refund=first, by=Actor.staff(agent), reason="Account closed")
    rr.refresh_from_db()
    assert rr.status == "refund_failed"
    assert rr.events.order_by("id").last().body == "Account closed"
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_retry_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-2")
    second = Refund.objects.filter(return_request=rr).order_by("-attempt").first()
    assert second.attempt == 2
    assert second.idempotency_key != first.idempotency_key
    assert Refund.objects.get(pk=first.pk).status == "failed"


def test_refunds_of_an_order_never_exceed_what_was_paid(agent):
    order = OrderFactory(amount_paid=1500)
    earlier = return_in_state("inspected", unit_price=1000, order=order)
    payments.return_issue_refund(return_request=earlier, by=Actor.staff(agent), reference="BANK-1")
    # Inspected before the earlier one was refunded (its settlement still the full price): the rule decides.
    later = return_row_in_state("inspected", unit_price=1000, order=order)
    with pytest.raises(ServiceError, match=r"only \$5\.00 can still be given back .*\(order paid \$15\.00\)"):
        payments.return_issue_refund(return_request=later, by=Actor.staff(agent), reference="BANK-2")
    assert Refund.objects.filter(return_request=later).count() == 0
    assert ReturnRequest.objects.get(pk=later.pk).status == "inspected"


def test_currency_mismatch_is_refused(agent):
    rr = return_in_state("inspected")
    ReturnRequest.objects.filter(pk=rr.pk).update(currency="EUR")
    with pytest.raises(ServiceError, match="in EUR but the order was paid in USD"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")
    assert not Refund.objects.exists()


@pytest.mark.parametrize("action", ["issue_refund", "refund_without_return", "retry_refund"])
def test_open_dispute_blocks_refunds_with_the_reason(action, manager):
    state = {"issue_refund": "inspected", "refund_without_return": "approved", "retry_refund": "refund_failed"}[action]
    rr = return_in_state(state)
    refunds_before = list(Refund.objects.values_list("pk", "status"))
    DisputeFactory(order=rr.order, stripe_dispute_id="dp_1", amount=1000)
    service = getattr(payments, f"return_{action}")
    with pytest.raises(ServiceError, match="A payment dispute is open on this order"):
        service(return_request=rr, by=Actor.staff(manager))
    assert list(Refund.objects.values_list("pk", "status")) == refunds_before


def test_store_credit_is_a_ledger_with_a_code(agent):
    rr = return_in_state("inspected", unit_price=2500)
    payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    rr.refresh_from_db()
    assert rr.status == "resolved"
    entry = rr.store_credits.get()
    assert entry.code.startswith("SC-") and entry.amount == 2750  # $25.00 settled + the policy's 10 % bonus
    assert store_credit_balance(rr.email.upper()) == 2750
