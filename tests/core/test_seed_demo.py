from collections import defaultdict

import pytest
from django.core.management import call_command

from returns_desk.payments.models import Dispute, Refund
from returns_desk.returns.models import ReturnEvent, ReturnRequest, ReturnStatus


def assert_exchanges_and_disputes_are_whole() -> None:
    exchanged = ReturnRequest.objects.filter(events__transition="ship_exchange")
    assert exchanged.exists()
    assert not exchanged.filter(exchange_order__isnull=True).exists()
    assert not exchanged.exclude(exchange_order__amount_paid=0).exists()
    assert Dispute.objects.exclude(status__in=Dispute.FINAL_STATUSES).filter(return_request__isnull=False).exists()


def assert_timelines_are_true() -> None:
    """Each return's status changes chain from `requested` to its current state, in time order."""
    chains = defaultdict(list)
    for event in ReturnEvent.objects.filter(kind="transition").order_by("created_at", "id"):
        chains[event.return_request_id].append(event)
    for rr in ReturnRequest.objects.all():
        events = chains[rr.pk]
        assert events[0].to_state == "requested" and events[0].from_state == ""
        for before, after in zip(events, events[1:], strict=False):
            assert after.from_state == before.to_state, rr.rma_number
            assert after.created_at >= before.created_at
        assert events[-1].to_state == rr.status, rr.rma_number


def test_seed_demo_reaches_every_state_through_the_services(reference_data):
    call_command("seed_demo", orders=40, returns=70, seed=3, verbosity=0)
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
    assert_timelines_are_true()
    assert Refund.objects.filter(status="succeeded").exists()
    assert Refund.objects.filter(status="failed", return_request__status="refund_failed").exists()
    assert_exchanges_and_disputes_are_whole()


def test_seed_demo_bulk_path_writes_the_same_kind_of_data(reference_data):
    call_command("seed_demo", orders=40, returns=120, seed=5, bulk=True, verbosity=0)
    assert set(ReturnRequest.objects.values_list("status", flat=True)) == set(ReturnStatus.values)
    assert_timelines_are_true()
    for rr in ReturnRequest.objects.filter(status="refund_pending"):
        assert rr.refunds.filter(status="pending").count() == 1
    assert not ReturnRequest.objects.filter(rma_number__startswith="new-").exists()
    assert_exchanges_and_disputes_are_whole()


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_deterministic_for_a_seed():
    def snapshot():
        return list(
            ReturnRequest.objects.order_by("pk").values_list("order__number", "status", "quoted_amount", "resolution")
        )

    call_command("seed_demo", orders=30, returns=40, seed=11, verbosity=0)
    first = snapshot()
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", orders=30, returns=40, seed=11, verbosity=0)
    assert snapshot() == first
    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", orders=30, returns=40, seed=12, verbosity=0)
    assert snapshot() != first
