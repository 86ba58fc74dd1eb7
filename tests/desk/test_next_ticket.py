""" "Next ticket" ("n") walks the queue the VA came from, in that queue's order, never back to a ticket seen."""

import datetime as dt

import pytest

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.desk.queues.definitions import QUEUES
from returns_desk.desk.queues.walk import next_in_queue, place_of
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state

pytestmark = pytest.mark.django_db


def due_in(rr, hours):
    """Give the return a desk deadline `hours` from now, so that the test fixes the queue's order."""
    ReturnRequest.objects.filter(pk=rr.pk).update(sla_due_at=clock.now() + dt.timedelta(hours=hours))
    return ReturnRequest.objects.get(pk=rr.pk)


def walk(queue_key, user, start) -> list[str]:
    """The RMAs met by pressing "n" from `start` until the queue ends (the selector alone)."""
    queue, seen, met, at = QUEUES[queue_key], [start.pk], [], start
    while (following := next_in_queue(queue, user, place_of(queue, at), seen)) is not None:
        met.append(following.rma_number)
        seen.append(following.pk)
        at = ReturnRequest.objects.get(pk=following.pk)
    return met


def five_unassigned():
    return [due_in(return_in_state("requested"), hours) for hours in (5, 1, 4, 2, 3)]


def test_next_follows_the_queues_own_order_after_the_current_ticket(agent):
    tickets = sorted(five_unassigned(), key=lambda rr: rr.sla_due_at)
    assert walk("unassigned", agent, tickets[0]) == [rr.rma_number for rr in tickets[1:]]
    assert walk("unassigned", agent, tickets[2]) == [rr.rma_number for rr in tickets[3:]]  # after, never before


def test_ties_are_broken_as_the_queue_page_breaks_them(agent):
    tickets = [return_in_state("requested") for _ in range(3)]
    moment = clock.now() + dt.timedelta(hours=8)
    ReturnRequest.objects.filter(pk__in=[rr.pk for rr in tickets]).update(sla_due_at=moment, created_at=moment)
    newest_first = sorted(tickets, key=lambda rr: -rr.pk)
    start = ReturnRequest.objects.get(pk=newest_first[0].pk)
    assert walk("unassigned", agent, start) == [rr.rma_number for rr in newest_first[1:]]


def test_returns_waiting_on_others_come_last_and_descending_orders_walk_too(agent):
    soon, parcel = due_in(return_in_state("requested"), 1), return_in_state("approved")
    mine = [soon, parcel, due_in(return_in_state("requested"), 2)]
    for rr in mine:
        services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    assert ReturnRequest.objects.get(pk=mine[1].pk).sla_due_at is None  # waiting for the parcel
    assert walk("mine", agent, mine[0]) == [mine[2].rma_number, mine[1].rma_number]

    waiting = [return_in_state("needs_info") for _ in range(3)]
    newest_change_first = sorted(waiting, key=lambda rr: (rr.status_changed_at, rr.pk), reverse=True)
    assert walk("waiting", agent, newest_change_first[0]) == [rr.rma_number for rr in newest_change_first[1:]]


def test_only_tickets_the_user_can_work_on_are_offered(agent, second_agent, manager):
    first, bens, approval, closed, last = (
        due_in(return_in_state("requested"), 1),
        due_in(return_in_state("requested"), 2),
        return_in_state("awaiting_approval"),
        return_in_state("closed"),
        due_in(return_in_state("requested"), 3.5),
    )
    services.return_claim(return_request=bens, by=Actor.staff(second_agent))
    for rr in (approval, closed):
        ReturnRequest.objects.filter(pk=rr.pk).update(sla_due_at=clock.now() + dt.timedelta(hours=3))
    assert walk("sla", agent, first) == [last.rma_number]  # not Ben's, not a manager's decision, not closed
    assert walk("sla", manager, first) == [bens.rma_number, approval.rma_number, last.rma_number]


def test_n_from_a_ticket_never_bounces_back(client, agent):
    """The old "next" took the first other ticket, so two tickets sent the VA back and forth."""
    first, second = due_in(return_in_state("requested"), 1), due_in(return_in_state("requested"), 2)
    client.force_login(agent)
    page = client.get(f"{first.get_absolute_url()}?queue=unassigned")
    assert "Next ticket in “Unassigned”" in page.content.decode()
    hop = client.get(f"/desk/returns/{first.pk}/next/?queue=unassigned")
    assert hop["Location"] == f"{second.get_absolute_url()}?queue=unassigned"
    client.get(hop["Location"])
    end = client.get(f"/desk/returns/{second.pk}/next/?queue=unassigned", follow=True)
    assert end.redirect_chain[-1][0] == "/desk/?queue=unassigned"
    assert "That was the last ticket you can work on in “Unassigned”." in end.content.decode()


def test_acting_on_a_ticket_does_not_lose_the_walks_place(client, agent):
    """Approving moves a ticket out of the deadline order; "n" still goes to the row that followed it."""
    tickets = sorted(five_unassigned(), key=lambda rr: rr.sla_due_at)
    client.force_login(agent)
    client.get(f"{tickets[0].get_absolute_url()}?queue=unassigned")
    client.post(f"/desk/returns/{tickets[0].pk}/act/approve/")
    client.post(f"/desk/returns/{tickets[0].pk}/claim/")
    page = client.get(tickets[0].get_absolute_url())  # shown again after the action, without ?queue=
    assert page.context["walk_queue"].key == "unassigned"
    met, at = [], tickets[0]
    for _ in range(4):
        response = client.get(f"/desk/returns/{at.pk}/next/?queue=unassigned")
        at = ReturnRequest.objects.get(pk=int(response["Location"].split("/")[3]))
        met.append(at.pk)
    assert met == [rr.pk for rr in tickets[1:]]


def test_queue_rows_lead_to_the_ticket_with_their_queue(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    page = client.get("/desk/?queue=new").content.decode()
    assert f'href="/desk/returns/{rr.pk}/?queue=new"' in page
    ticket = client.get(f"/desk/returns/{rr.pk}/?queue=new").content.decode()
    assert '<a href="/desk/?queue=new">← New</a>' in ticket
