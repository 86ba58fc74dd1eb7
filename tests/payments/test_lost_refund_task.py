"""A refund whose task vanished (a worker killed after taking it from Redis) is sent again within 5 minutes by
the every-minute sweep, once, with the same idempotency key; a refund still in good hands is left alone."""

import datetime as dt

import pytest
from django.conf import settings as django_settings

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.tasks import queue_for
from returns_desk.payments import gateway, tasks
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, return_in_state
from tests.payments.conftest import stripe_payment, stripe_refunds
from tests.support.stripe import failing_stripe


@pytest.fixture
def stripe_calls(monkeypatch):
    """The idempotency key of every refund creation the app asks Stripe for."""
    keys = []
    real = gateway.create_refund

    def recording(**kwargs):
        keys.append(kwargs["idempotency_key"])
        return real(**kwargs)

    monkeypatch.setattr(gateway, "create_refund", recording)
    return keys


@pytest.fixture
def stripe_timeout(settings, stripe_on):
    # The default timeout: the sending lease is three of them and 30 s (90 s).
    settings.STRIPE_TIMEOUT_SECONDS = 20.0
    return stripe_on


def refund_recorded_but_task_lost(agent, django_capture_on_commit_callbacks, amount: int) -> Refund:
    order = OrderFactory(amount_paid=amount, payment_reference=stripe_payment(amount))
    rr = return_in_state("inspected", unit_price=amount, order=order)
    # The task is enqueued on commit; not running the callback stands for the task the killed worker took.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    assert callbacks  # the send was due on commit, and never ran
    return Refund.objects.get(return_request=rr)


def later(minutes: float):
    return clock.frozen_at(clock.now() + dt.timedelta(minutes=minutes))


def test_a_refund_whose_worker_died_holding_the_lease_is_sent_again_once_with_the_same_key(
    stripe_timeout, agent, stripe_calls, django_capture_on_commit_callbacks
):
    refund = refund_recorded_but_task_lost(agent, django_capture_on_commit_callbacks, 2500)
    # The worker takes the lease, then is killed before Stripe answers: nobody records anything, ever.
    assert payments.refund_claim_for_sending(refund_id=refund.pk) is not None

    with later(1):  # the lease still holds: the worker may be asking Stripe right now
        assert tasks.resend_lost_refunds() == "resent 0 of 0 lost refund(s)"
    assert stripe_calls == []

    with later(5):
        assert tasks.resend_lost_refunds() == "resent 1 of 1 lost refund(s)"
        assert tasks.resend_lost_refunds() == "resent 0 of 0 lost refund(s)"  # and only once

    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.provider_refund_id.startswith("re_")
    assert stripe_calls == [refund.idempotency_key]
    [at_stripe] = stripe_refunds(refund.order.payment_reference)
    assert at_stripe["metadata"]["idempotency_key"] == refund.idempotency_key
    assert ReturnRequest.objects.get(pk=refund.return_request_id).status == "resolved"


def test_a_refund_whose_task_vanished_before_any_worker_claimed_it_is_sent_within_five_minutes(
    stripe_timeout, agent, stripe_calls, django_capture_on_commit_callbacks
):
    refund = refund_recorded_but_task_lost(agent, django_capture_on_commit_callbacks, 1900)
    with later(1):  # its task may just be waiting in the queue
        tasks.resend_lost_refunds()
    assert stripe_calls == []
    with later(django_settings.REFUND_UNCLAIMED_AFTER_SECONDS / 60 + 1):
        assert tasks.resend_lost_refunds() == "resent 1 of 1 lost refund(s)"
    assert django_settings.REFUND_UNCLAIMED_AFTER_SECONDS / 60 + 1 <= 5
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert stripe_calls == [refund.idempotency_key]


def test_a_slow_task_and_the_sweep_together_refund_once(
    stripe_timeout, agent, stripe_calls, django_capture_on_commit_callbacks
):
    refund = refund_recorded_but_task_lost(agent, django_capture_on_commit_callbacks, 1400)
    with later(5):
        tasks.resend_lost_refunds()
    tasks.send_refund(refund.pk)  # the original task was only late, not lost: it finds the refund done
    assert stripe_calls == [refund.idempotency_key]
    assert len(stripe_refunds(refund.order.payment_reference)) == 1


def test_a_refund_waiting_for_its_retry_is_not_sent_early_and_is_sent_if_the_retry_is_lost(
    stripe_on, settings, agent, stripe_calls, django_capture_on_commit_callbacks
):
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    order = OrderFactory(amount_paid=2100, payment_reference=stripe_payment(2100))
    rr = return_in_state("inspected", unit_price=2100, order=order)
    with failing_stripe("500") as broken_url:
        settings.STRIPE_API_BASE = broken_url
        with django_capture_on_commit_callbacks(execute=True):
            payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    settings.STRIPE_API_BASE = stripe_on
    refund = Refund.objects.get(return_request=rr)
    assert (refund.status, refund.send_attempts) == ("pending", 1)  # a retry is scheduled in 30 s
    stripe_calls.clear()

    with later(1):  # 30 s plus the margin have not passed: the scheduled retry owns it
        assert tasks.resend_lost_refunds() == "resent 0 of 0 lost refund(s)"
    with later(4):  # the retry's task never ran
        assert tasks.resend_lost_refunds() == "resent 1 of 1 lost refund(s)"
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert stripe_calls == [refund.idempotency_key]
    assert len(stripe_refunds(order.payment_reference)) == 1


def test_the_sweep_leaves_settled_manual_and_answered_refunds_alone(
    stripe_timeout, agent, stripe_calls, django_capture_on_commit_callbacks
):
    order = OrderFactory(amount_paid=1700, payment_reference=stripe_payment(1700))
    rr = return_in_state("inspected", unit_price=1700, order=order)
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent))
    assert Refund.objects.get(return_request=rr).status == "succeeded"
    # Stripe said "pending" with its id: the webhook or reconciliation brings the rest, never a resend.
    Refund.objects.filter(return_request=rr).update(status="pending")
    stripe_calls.clear()
    with later(60):
        assert tasks.resend_lost_refunds() == "resent 0 of 0 lost refund(s)"
    assert stripe_calls == []


def test_the_sweep_runs_every_minute_on_the_money_queue(settings):
    spec = settings.PERIODIC_TASKS["resend-lost-refunds"]
    assert spec == {"func": "returns_desk.payments.tasks.resend_lost_refunds", "minutes": 1}
    assert queue_for(spec["func"]) == "money"
