"""The SLA clock: a target per stage that waits on the desk, paused while the desk waits on the customer."""

import datetime as dt

import pytest
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.clock import frozen_at
from returns_desk.returns import services, sla
from tests.factories import return_in_state

T = sla.Targets(first_response_hours=24, inspection_hours=48, refund_hours=12)
NOON = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def after(to_state, from_state="", now=NOON, due=None, paused=None):
    return sla.clock_after(to_state=to_state, from_state=from_state, now=now, current=sla.Clock(due, paused), targets=T)


def test_each_stage_that_waits_on_the_desk_has_its_target():
    assert after("requested").due_at == NOON + dt.timedelta(hours=24)
    assert after("received", "in_transit").due_at == NOON + dt.timedelta(hours=48)
    assert after("inspected", "received").due_at == NOON + dt.timedelta(hours=12)
    for waiting in ("approved", "in_transit", "refund_pending", "resolved", "closed", "rejected", "cancelled"):
        assert after(waiting, "requested", due=NOON) == sla.Clock(None, None)


def test_waiting_on_the_customer_pauses_the_clock_and_answering_gives_the_time_back():
    due = NOON + dt.timedelta(hours=5)
    paused = after("needs_info", "requested", due=due)
    assert paused == sla.Clock(None, 5 * 3600)
    three_days_later = NOON + dt.timedelta(days=3)
    resumed = after("requested", "needs_info", now=three_days_later, paused=paused.paused_seconds)
    assert resumed.due_at == three_days_later + dt.timedelta(hours=5)


def test_an_overdue_return_paused_stays_overdue_when_resumed():
    paused = after("needs_info", "requested", due=NOON - dt.timedelta(hours=2))
    assert paused.paused_seconds == 0
    assert after("requested", "needs_info", paused=0).due_at == NOON


def test_awaiting_a_managers_approval_keeps_the_refund_target_running():
    due = NOON + dt.timedelta(hours=3)
    assert after("awaiting_approval", "inspected", due=due).due_at == due
    assert after("inspected", "awaiting_approval", due=due).due_at == due


def test_states_of_a_due_moment():
    assert sla.state_of(None, NOON) == ""
    assert sla.state_of(NOON - dt.timedelta(minutes=1), NOON) == "overdue"
    assert sla.state_of(NOON + dt.timedelta(hours=3), NOON) == "at_risk"
    assert sla.state_of(NOON + dt.timedelta(hours=5), NOON) == "on_track"


@pytest.mark.django_db
def test_transitions_keep_the_stored_due_moment(agent):
    start = timezone.now()
    with frozen_at(start):
        rr = return_in_state("requested")
        rr.refresh_from_db()
    first_due = rr.sla_due_at
    with frozen_at(start + dt.timedelta(hours=20)):
        rr = services.return_request_info(return_request=rr, by=Actor.staff(agent), question="Which size?")
    rr.refresh_from_db()
    assert rr.sla_due_at is None and rr.sla_paused_seconds == pytest.approx(4 * 3600, abs=2)
    with frozen_at(start + dt.timedelta(days=4)):
        services.return_customer_reply(return_request=rr, body="Size M, thanks.")
    rr.refresh_from_db()
    assert rr.status == "requested"
    assert rr.sla_due_at == pytest.approx(start + dt.timedelta(days=4, hours=4), abs=dt.timedelta(seconds=2))
    assert rr.sla_due_at > first_due
