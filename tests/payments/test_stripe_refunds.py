"""Refunds through the real Stripe client talking HTTP to localstripe, and to servers that fail.

localstripe is lax: it ignores idempotency keys and allows over-refunds. These tests show that our own
guards hold where it would let money go twice.
"""

import datetime as dt

import pytest
from django_q.models import Schedule

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.payments import tasks
from returns_desk.payments.models import Refund
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, return_in_state, return_row_in_state
from tests.payments.conftest import stripe_payment, stripe_refunds
from tests.support.stripe import failing_stripe


def stripe_order(amount: int):
    return OrderFactory(amount_paid=amount, payment_reference=stripe_payment(amount))


def test_full_refund_goes_to_stripe_with_our_key(stripe_on, agent, django_capture_on_commit_callbacks):
    order = stripe_order(4500)
    rr = return_in_state("inspected", unit_price=4500, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)
    assert refund.provider == "stripe"
    assert refund.status == "succeeded" and refund.provider_refund_id.startswith("re_")
    assert ReturnRequest.objects.get(pk=rr.pk).status == "resolved"
    [at_stripe] = stripe_refunds(order.payment_reference)
    assert at_stripe["id"] == refund.provider_refund_id
    assert at_stripe["amount"] == 4500
    assert at_stripe["metadata"]["idempotency_key"] == refund.idempotency_key == f"refund-{rr.rma_number}-attempt-1"


def test_partial_refunds_add_up_to_what_was_paid_and_no_more(stripe_on, agent, django_capture_on_commit_callbacks):
    order = stripe_order(6000)
    first = return_in_state("inspected", unit_price=6000, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(
            return_request=first, by=Actor.staff(agent), amount=2500, override_reason="One of the pair was worn."
        )
    second = return_in_state("inspected", unit_price=3500, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=second, by=Actor.staff(agent))
    # Inspected before the others were refunded (its settlement still the full price): the rule is the last line.
    third = return_row_in_state("inspected", unit_price=1000, order=order)
    # localstripe would accept this over-refund; our own check refuses it before any call.
    with pytest.raises(ServiceError, match=r"only \$0\.00 can still be given back .*\(order paid \$60\.00\)"):
        payments.return_issue_refund(return_request=third, by=Actor.staff(agent))
    assert sorted(r["amount"] for r in stripe_refunds(order.payment_reference)) == [2500, 3500]
    assert not Refund.objects.filter(return_request=third).exists()


def test_running_the_send_task_again_never_refunds_twice(stripe_on, agent, django_capture_on_commit_callbacks):
    order = stripe_order(3000)
    rr = return_in_state("inspected", unit_price=3000, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)
    tasks.send_refund(refund.pk)
    tasks.send_refund(refund.pk)
    assert len(stripe_refunds(order.payment_reference)) == 1


@pytest.mark.parametrize(
    ("fault", "recorded"),
    [
        ("unreachable", "APIConnectionError"),
        ("timeout", "APIConnectionError"),
        ("500", "HTTP 500"),
        ("429", "RateLimitError"),
    ],
)
def test_stripe_failure_keeps_the_refund_pending_then_retries_with_the_same_key(
    fault, recorded, stripe_on, settings, agent, django_capture_on_commit_callbacks
):
    order = stripe_order(2200)
    rr = return_in_state("inspected", unit_price=2200, order=order)
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    with failing_stripe(fault) as broken_url:
        settings.STRIPE_API_BASE = broken_url
        with django_capture_on_commit_callbacks(execute=True):
            payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)
    assert (refund.status, refund.provider_refund_id, refund.send_attempts) == ("pending", "", 1)
    assert recorded in refund.last_error
    assert ReturnRequest.objects.get(pk=rr.pk).status == "refund_pending"
    retry = Schedule.objects.get(func="returns_desk.payments.tasks.send_refund", args=repr((refund.pk,)))
    assert retry.schedule_type == Schedule.ONCE
    assert "Could not reach the payment provider (attempt 1)" in rr.events.order_by("id").last().body

    settings.STRIPE_API_BASE = stripe_on  # Stripe is back; the scheduled retry runs
    tasks.send_refund(refund.pk)
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    [at_stripe] = stripe_refunds(order.payment_reference)
    assert at_stripe["metadata"]["idempotency_key"] == refund.idempotency_key
    assert Refund.objects.filter(return_request=rr).count() == 1


def test_crash_between_stripes_answer_and_our_save_is_healed_by_reconciliation(
    stripe_on, settings, agent, monkeypatch, django_capture_on_commit_callbacks
):
    order = stripe_order(1800)
    rr = return_in_state("inspected", unit_price=1800, order=order)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)

    def crash(**kwargs):
        raise RuntimeError("worker killed after Stripe answered")

    monkeypatch.setattr(tasks, "refund_record_outcome", crash)
    with pytest.raises(RuntimeError):
        tasks.send_refund(refund.pk)
    monkeypatch.undo()
    refund.refresh_from_db()
    assert (refund.status, refund.provider_refund_id) == ("pending", "")  # Stripe refunded; we did not record it
    assert len(stripe_refunds(order.payment_reference)) == 1
    assert callbacks  # the enqueue of the original send never ran: the crash stands for it

    settings.REFUND_RECONCILE_AFTER_MINUTES = 0
    assert tasks.reconcile_refunds() == "reconciled 1, resent 0, unreachable 0"
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.provider_refund_id.startswith("re_")
    assert ReturnRequest.objects.get(pk=rr.pk).status == "resolved"
    assert len(stripe_refunds(order.payment_reference)) == 1


def test_reconciliation_applies_a_missed_webhook(stripe_on, settings, agent, django_capture_on_commit_callbacks):
    order = stripe_order(1500)
    rr = return_in_state("inspected", unit_price=1500, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)
    # As if Stripe had first answered "pending" and the webhook with the final status never came.
    Refund.objects.filter(pk=refund.pk).update(status="pending", updated_at=refund.updated_at - dt.timedelta(hours=2))
    ReturnRequest.objects.filter(pk=rr.pk).update(status="refund_pending")
    settings.REFUND_RECONCILE_AFTER_MINUTES = 30
    tasks.reconcile_refunds()
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert ReturnRequest.objects.get(pk=rr.pk).status == "resolved"


def test_reconciliation_resends_a_refund_stripe_never_received(stripe_on, settings, agent):
    order = stripe_order(1200)
    rr = return_in_state("refund_pending", unit_price=1200, order=order)
    # Its send was tried once, an hour ago, and the answer never came (the worker died).
    refund = rr.refunds.get()
    Refund.objects.filter(pk=refund.pk).update(send_attempts=1, updated_at=rr.created_at - dt.timedelta(hours=1))
    settings.REFUND_RECONCILE_AFTER_MINUTES = 30
    assert tasks.reconcile_refunds() == "reconciled 0, resent 1, unreachable 0"
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert len(stripe_refunds(order.payment_reference)) == 1


def test_stripe_refusing_a_refund_fails_it_with_stripes_words(stripe_on, agent, django_capture_on_commit_callbacks):
    order = OrderFactory(amount_paid=1000, payment_reference="pi_does_not_exist")
    rr = return_in_state("inspected", unit_price=1000, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    refund = Refund.objects.get(return_request=rr)
    assert refund.status == "failed"
    assert "HTTP 404" in refund.failure_reason
    rr.refresh_from_db()
    assert rr.status == "refund_failed"
    failed = rr.events.get(transition="refund_failed")
    assert refund.failure_reason in failed.body  # staff keep Stripe's words in full
    assert failed.visible_to_customer
    assert failed.customer_text == "Your refund did not go through; we are looking into it and will be in touch."
    assert "HTTP" not in failed.customer_text and "Error" not in failed.customer_text


def test_without_a_stripe_key_refunds_stay_manual(settings, agent, django_capture_on_commit_callbacks):
    settings.STRIPE_SECRET_KEY = ""
    rr = return_in_state("inspected")
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")
    assert Refund.objects.get(return_request=rr).provider == "manual"
