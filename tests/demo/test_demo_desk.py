"""The demo desk looks like an ordinary Tuesday: open returns opened in the last days, most within their SLA, a
few at risk, a few breached; finished ones spread over the past months; the canned responses the desk uses."""

import datetime as dt
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from returns_desk.demo.shop.canned import CANNED_RESPONSES
from returns_desk.demo.shop.timing import FINISHED_STATES
from returns_desk.desk.models import CannedResponse
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnRequest

pytestmark = pytest.mark.slow  # each seeds a small shop: seconds, not milliseconds


def assert_a_tuesday_on_the_desk() -> None:
    now = timezone.now()
    open_returns = ReturnRequest.objects.exclude(status__in=FINISHED_STATES)
    finished = ReturnRequest.objects.filter(status__in=FINISHED_STATES)
    assert open_returns.count() >= 20
    for rr in open_returns:
        assert now - dt.timedelta(days=7) < rr.created_at <= now, (rr.rma_number, rr.status, rr.created_at)
    standing = Counter(sla.state_of(due, now) for due in open_returns.values_list("sla_due_at", flat=True))
    clocked = standing["on_track"] + standing["at_risk"] + standing["overdue"]
    assert standing["on_track"] >= clocked * 0.6, standing
    assert 1 <= standing["at_risk"] <= clocked * 0.3, standing
    assert 1 <= standing["overdue"] <= clocked * 0.3, standing
    worst = (
        open_returns.filter(sla_due_at__isnull=False)
        .order_by("sla_due_at")
        .values_list("sla_due_at", flat=True)
        .first()
    )
    assert now - worst < dt.timedelta(days=3)  # breached by hours, not "Overdue 102 d"
    ages = sorted((now - created).days for created in finished.values_list("created_at", flat=True))
    assert ages[-1] - ages[0] > 45  # the insights still have months of history


def test_the_demo_desk_seeded_through_the_services_looks_like_a_real_tuesday(reference_data):
    call_command("seed_demo", orders=200, returns=90, seed=7, verbosity=0)
    assert_a_tuesday_on_the_desk()
    assert list(CannedResponse.objects.values_list("title", flat=True)) == [t for t, _, _ in CANNED_RESPONSES]


def test_the_bulk_demo_desk_keeps_the_same_clocks(reference_data):
    call_command("seed_demo", orders=200, returns=150, seed=5, bulk=True, verbosity=0)
    assert_a_tuesday_on_the_desk()
