"""Taking over a colleague's ticket: managers always; a VA once it has been idle as long as the policy says."""

import datetime as dt

import pytest

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent
from tests.factories import UserFactory, return_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def bens_ticket(second_agent):
    rr = return_in_state("requested")
    services.return_claim(return_request=rr, by=Actor.staff(second_agent))
    return rr


def later(hours: float):
    return clock.frozen_at(clock.now() + dt.timedelta(hours=hours))


def take_over_notes(rr) -> list[str]:
    return list(rr.events.filter(data__take_over=True).values_list("body", flat=True))


def test_a_manager_takes_over_at_once_and_the_timeline_names_the_previous_assignee(manager, second_agent, bens_ticket):
    rr = services.return_take_over(return_request=bens_ticket, by=Actor.staff(manager))
    rr.refresh_from_db()
    assert rr.assignee == manager
    assert take_over_notes(rr) == ["Taken over by Morgan from Ben."]
    note = rr.events.get(data__take_over=True)
    assert (note.kind, note.actor_user) == (ReturnEvent.Kind.ASSIGNMENT, manager)
    assert note.data["previous_id"] == second_agent.pk


def test_a_va_is_refused_while_the_ticket_is_not_idle_and_nothing_changes(agent, second_agent, bens_ticket):
    with later(23), pytest.raises(ActionNotAllowed) as refused:
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    assert "Ben is working on this return" in str(refused.value)
    assert "after 24 h without activity" in str(refused.value)
    assert "a manager can take it over now" in str(refused.value)
    bens_ticket.refresh_from_db()
    assert bens_ticket.assignee == second_agent
    assert take_over_notes(bens_ticket) == []


def test_a_va_takes_over_once_the_ticket_has_been_idle_longer_than_the_policy_says(agent, bens_ticket):
    with later(24.5):
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    bens_ticket.refresh_from_db()
    assert bens_ticket.assignee == agent
    assert take_over_notes(bens_ticket) == ["Taken over by Ana from Ben."]


def test_the_idle_time_is_the_policys_setting(agent, bens_ticket):
    policy = active_policy()
    policy.take_over_idle_hours = 2
    policy.save()
    with later(1), pytest.raises(ActionNotAllowed, match="after 2 h without activity"):
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    with later(3):
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    bens_ticket.refresh_from_db()
    assert bens_ticket.assignee == agent


def test_desk_activity_restarts_the_idle_time_but_a_customer_writing_does_not(agent, second_agent, bens_ticket):
    with later(20):
        services.return_add_note(return_request=bens_ticket, by=Actor.staff(second_agent), body="Asked the carrier.")
    with later(30), pytest.raises(ActionNotAllowed):  # 10 h after Ben's note
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    with later(40):
        services.return_customer_reply(return_request=bens_ticket, body="Any news?")  # more urgent, not busier
    with later(45):
        services.return_take_over(return_request=bens_ticket, by=Actor.staff(agent))
    bens_ticket.refresh_from_db()
    assert bens_ticket.assignee == agent


def test_an_unassigned_ticket_is_simply_claimed_and_ones_own_changes_nothing(agent):
    rr = return_in_state("requested")
    services.return_take_over(return_request=rr, by=Actor.staff(agent))
    services.return_take_over(return_request=rr, by=Actor.staff(agent))
    rr.refresh_from_db()
    assert rr.assignee == agent
    assert list(rr.events.filter(kind="assignment").values_list("body", flat=True)) == ["Claimed by Ana."]


def test_a_closed_ticket_cannot_be_taken_over_and_nobody_off_the_desk_may(manager, second_agent):
    rr = return_in_state("rejected")
    services.return_assign(return_request=rr, assignee=second_agent, by=Actor.staff(manager))
    with pytest.raises(ActionNotAllowed, match="nothing to take over"):
        services.return_take_over(return_request=rr, by=Actor.staff(manager))
    with pytest.raises(ActionForbidden):
        services.return_take_over(return_request=rr, by=Actor.staff(UserFactory(username="visitor", groups=[])))


def test_the_tickets_take_over_button_refuses_a_busy_ticket_with_the_reason(client, agent, bens_ticket):
    client.force_login(agent)
    page = client.get(bens_ticket.get_absolute_url()).content.decode()
    assert f'action="/desk/returns/{bens_ticket.pk}/take-over/"' in page
    response = client.post(f"/desk/returns/{bens_ticket.pk}/take-over/", follow=True)
    assert "Ben is working on this return" in response.content.decode()
    with later(25):
        response = client.post(f"/desk/returns/{bens_ticket.pk}/take-over/", follow=True)
    assert f"{bens_ticket.rma_number} is yours (taken over from Ben)." in response.content.decode()
    assert "Taken over by Ana from Ben." in response.content.decode()
