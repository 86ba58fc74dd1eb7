"""Claiming and assigning returns, alone and in bulk."""

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, AlreadyActedError, ServiceError
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent
from tests.factories import return_in_state

pytestmark = pytest.mark.django_db


def test_a_claim_takes_an_unassigned_return_and_notes_it_internally(agent):
    rr = return_in_state("requested")
    services.return_claim(return_request=rr, by=Actor.staff(agent))
    rr.refresh_from_db()
    assert rr.assignee == agent
    event = rr.events.get(kind=ReturnEvent.Kind.ASSIGNMENT)
    assert event.body == "Claimed by Ana." and not event.visible_to_customer


def test_a_second_claim_is_refused_naming_who_claimed_first(agent, second_agent):
    rr = return_in_state("requested")
    services.return_claim(return_request=rr, by=Actor.staff(agent))
    with pytest.raises(AlreadyActedError, match=r"^Already claimed by Ana at \d\d:\d\d\. Nothing was changed\.$"):
        services.return_claim(return_request=rr, by=Actor.staff(second_agent))
    rr.refresh_from_db()
    assert rr.assignee == agent
    assert rr.events.filter(kind=ReturnEvent.Kind.ASSIGNMENT).count() == 1


def test_claiming_ones_own_return_again_changes_nothing(agent):
    rr = return_in_state("requested")
    services.return_claim(return_request=rr, by=Actor.staff(agent))
    services.return_claim(return_request=rr, by=Actor.staff(agent))
    assert rr.events.filter(kind=ReturnEvent.Kind.ASSIGNMENT).count() == 1


def test_assigning_moves_a_return_and_says_from_whom(agent, second_agent, manager):
    rr = return_in_state("received")
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(manager))
    services.return_assign(return_request=rr, assignee=second_agent, by=Actor.staff(manager))
    services.return_assign(return_request=rr, assignee=None, by=Actor.staff(manager))
    bodies = list(rr.events.filter(kind=ReturnEvent.Kind.ASSIGNMENT).values_list("body", flat=True))
    assert bodies == ["Assigned to Ana.", "Assigned to Ben (was Ana).", "Unassigned (was Ben)."]


def test_only_desk_staff_assign_and_are_assigned(agent, outsider):
    rr = return_in_state("requested")
    with pytest.raises(ActionForbidden):
        services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(outsider))
    with pytest.raises(ServiceError, match="is not on the returns desk"):
        services.return_assign(return_request=rr, assignee=outsider, by=Actor.staff(agent))
    with pytest.raises(ActionForbidden):
        services.return_claim(return_request=rr, by=Actor.customer())


def test_bulk_close_closes_what_it_may_and_names_the_rest(agent):
    closable = [return_in_state("resolved"), return_in_state("rejected")]
    open_one = return_in_state("approved")
    result = services.returns_bulk_close(return_ids=[r.pk for r in [*closable, open_one]], by=Actor.staff(agent))
    assert result.done == [r.rma_number for r in closable]
    [(rma, why)] = result.refused
    assert rma == open_one.rma_number and "Close is no longer possible: the return is now Approved" in why
    open_one.refresh_from_db()
    assert open_one.status == "approved"


def test_bulk_assign(agent, manager):
    returns = [return_in_state("requested") for _ in range(3)]
    result = services.returns_bulk_assign(return_ids=[r.pk for r in returns], assignee=agent, by=Actor.staff(manager))
    assert len(result.done) == 3 and not result.refused
    assert {r.assignee_id for r in type(returns[0]).objects.filter(pk__in=[r.pk for r in returns])} == {agent.pk}
