"""Milestones: when a return first reached each stage, stamped by the transitions themselves."""

import datetime as dt

import pytest
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.clock import frozen_at
from returns_desk.payments import services as payments
from returns_desk.returns import services
from tests.factories import return_in_state

pytestmark = pytest.mark.django_db


def test_each_stage_is_stamped_once_at_its_first_moment(agent, manager):
    start = timezone.now()
    staff = Actor.staff(agent)
    rr = return_in_state("requested")
    moments = {}
    steps = [
        ("request_info", lambda: services.return_request_info(return_request=rr, by=staff, question="Size?")),
        ("info_received", lambda: services.return_info_received(return_request=rr, by=Actor.customer(), message="M")),
        ("approve", lambda: services.return_approve(return_request=rr, by=staff)),
        ("receive", lambda: services.return_receive(return_request=rr, by=staff)),
    ]
    for hours, (name, step) in enumerate(steps, start=1):
        moments[name] = start + dt.timedelta(hours=hours)
        with frozen_at(moments[name]):
            step()
    rr.refresh_from_db()
    assert rr.first_response_at == moments["request_info"]  # asking counts as the first response
    assert rr.approved_at == moments["approve"] and rr.received_at == moments["receive"]
    item = rr.items.get()
    with frozen_at(start + dt.timedelta(hours=9)):
        services.return_inspect(
            return_request=rr, by=staff, results=[services.ItemInspection(item.pk, "accepted", "new", "restock")]
        )
    with frozen_at(start + dt.timedelta(hours=10)):
        payments.return_issue_store_credit(return_request=rr, by=staff)
    rr.refresh_from_db()
    assert rr.inspected_at == start + dt.timedelta(hours=9)
    assert rr.resolved_at == start + dt.timedelta(hours=10)
