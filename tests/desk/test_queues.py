"""The queue page: predefined queues with counts, filters in the URL, 50 rows a page, bulk actions, claims."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.clock import frozen_at
from returns_desk.customers.models import CustomerFlag
from returns_desk.desk.queues.definitions import QUEUES
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.factories import DisputeFactory, return_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cold_counts():
    cache.clear()
    yield
    cache.clear()


def rows_of(page) -> list[str]:
    return [row.rma for row in page.context["page"].rows]


def counts_of(page) -> dict[str, int]:
    return {q.key: n for q, n in page.context["queues"]}


def queries(client, url) -> int:
    cache.clear()  # the worst case: counts not cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_every_queue_answers_in_at_most_12_queries_whatever_the_rows(client, manager):
    client.force_login(manager)
    states = ["requested", "needs_info", "approved", "received", "inspected", "refund_failed", "closed"]
    for state in states:  # one row in most queues, so both measures load a page
        return_in_state(state)
    urls = [f"/desk/?queue={key}" for key in QUEUES] + ["/desk/?queue=all&sort=value&age=today&flagged=on&q=Casey"]
    few = {url: queries(client, url) for url in urls}
    for state in states * 9:
        return_in_state(state)
    many = {url: queries(client, url) for url in urls}
    assert many == few
    assert max(many.values()) <= 12, many


def test_queues_hold_the_right_returns_and_count_them(client, agent, second_agent):
    client.force_login(agent)
    new = return_in_state("requested")
    waiting = return_in_state("needs_info")
    parcel = [return_in_state("approved"), return_in_state("in_transit")]
    to_inspect = return_in_state("received")
    mine = return_in_state("inspected")
    services.return_claim(return_request=mine, by=Actor.staff(agent))
    theirs = return_in_state("refund_failed")
    services.return_claim(return_request=theirs, by=Actor.staff(second_agent))
    page = client.get("/desk/")  # "My open" by default
    assert rows_of(page) == [mine.rma_number]
    counts = counts_of(page)
    assert counts["mine"] == 1 and counts["new"] == 1 and counts["waiting"] == 1 and counts["parcel"] == 2
    assert counts["inspect"] == 1 and counts["refund_failed"] == 1 and counts["all"] == 7
    assert counts["unassigned"] == 5
    assert "approvals" not in counts  # managers only
    assert rows_of(client.get("/desk/?queue=new")) == [new.rma_number]
    assert rows_of(client.get("/desk/?queue=waiting")) == [waiting.rma_number]
    assert sorted(rows_of(client.get("/desk/?queue=parcel"))) == sorted(r.rma_number for r in parcel)
    assert rows_of(client.get("/desk/?queue=inspect")) == [to_inspect.rma_number]
    assert rows_of(client.get("/desk/?queue=approvals")) == [mine.rma_number]  # not theirs: falls back to My open


def test_sla_queue_holds_returns_due_within_four_hours_or_overdue(client, agent):
    client.force_login(agent)
    start = timezone.now()
    with frozen_at(start - dt.timedelta(hours=30)):
        overdue = return_in_state("requested")  # due 24 h after: 6 h ago
    with frozen_at(start - dt.timedelta(hours=21)):
        at_risk = return_in_state("requested")  # due in 3 h
    return_in_state("requested")  # due in 24 h
    page = client.get("/desk/?queue=sla")
    assert rows_of(page) == [overdue.rma_number, at_risk.rma_number]
    html = page.content.decode()
    assert "Overdue 6 h" in html and "Due in 2 h" in html


def test_recently_closed_and_disputes(client, manager):
    client.force_login(manager)
    closed = return_in_state("closed")
    disputed = return_in_state("refund_pending")
    DisputeFactory(stripe_dispute_id="dp_1", order=disputed.order, amount=1000, reason="fraudulent")
    assert rows_of(client.get("/desk/?queue=closed")) == [closed.rma_number]
    page = client.get("/desk/?queue=disputes")
    assert rows_of(page) == [disputed.rma_number] and ">Dispute</span>" in page.content.decode()


def test_filters_and_search_live_in_the_url(client, agent):
    client.force_login(agent)
    cheap = return_in_state("requested", unit_price=1500)
    dear = return_in_state("requested", unit_price=25000, reason="changed-mind")
    ReturnRequest.objects.filter(pk=dear.pk).update(tracking_number="1Z999", customer_name="Zoe Moreau")
    CustomerFlag.objects.create(email=dear.email.upper(), kind=CustomerFlag.Kind.WATCH)
    services.return_claim(return_request=cheap, by=Actor.staff(agent))

    def found(query):
        return rows_of(client.get(f"/desk/?queue=all&{query}"))

    assert found("min_value=100") == [dear.rma_number]
    assert found("max_value=20.00") == [cheap.rma_number]
    assert found("reason=changed-mind") == [dear.rma_number]
    assert found("assignee=me") == [cheap.rma_number]
    assert found("assignee=none") == [dear.rma_number]
    assert found("flagged=on") == [dear.rma_number]
    assert found(f"q={dear.rma_number}") == [dear.rma_number]
    assert found(f"q={int(dear.rma_number[4:])}") == [dear.rma_number]  # digits only
    assert found(f"q={cheap.order.number}") == [cheap.rma_number]
    assert found(f"q={dear.email}") == [dear.rma_number]
    assert found("q=moreau") == [dear.rma_number]
    assert found("q=1Z999") == [dear.rma_number]
    assert found("status=requested&sort=value") == [dear.rma_number, cheap.rma_number]
    assert found("status=approved") == []
    bad = client.get("/desk/?queue=all&min_value=ten")
    assert "Enter the amount in figures, like 12.50." in bad.content.decode()


def test_fifty_rows_a_page_and_the_next_page_keeps_the_view(client, agent):
    client.force_login(agent)
    for _ in range(52):
        return_in_state("requested")
    first = client.get("/desk/?queue=new&sort=oldest")
    assert len(rows_of(first)) == 50
    assert 'href="?queue=new&amp;sort=oldest&amp;page=2"' in first.content.decode()
    second = client.get("/desk/?queue=new&sort=oldest&page=2")
    assert len(rows_of(second)) == 2 and "Next" not in second.content.decode()
    assert set(rows_of(first)).isdisjoint(rows_of(second))


def test_bulk_close_names_what_it_could_not_close(client, agent):
    client.force_login(agent)
    done = return_in_state("resolved")
    still_open = return_in_state("approved")
    response = client.post(
        "/desk/bulk/", {"ids": [done.pk, still_open.pk], "action": "close", "next": "/desk/?queue=all"}, follow=True
    )
    html = response.content.decode()
    assert f"Closed: {done.rma_number}." in html
    assert f"{still_open.rma_number} not changed: Close is no longer possible: the return is now Approved" in html
    assert response.redirect_chain[-1][0] == "/desk/?queue=all"


def test_bulk_assign_and_claim_from_the_queue(client, agent, second_agent):
    client.force_login(agent)
    a, b = return_in_state("requested"), return_in_state("requested")
    client.post("/desk/bulk/", {"ids": [a.pk], "action": f"assign:{second_agent.pk}"})
    a.refresh_from_db()
    assert a.assignee == second_agent
    client.post(f"/desk/returns/{b.pk}/claim/", {"next": "/desk/?queue=new"})
    b.refresh_from_db()
    assert b.assignee == agent
    refused = client.post(f"/desk/returns/{a.pk}/claim/", {"next": "/desk/"}, follow=True)
    assert "Already claimed by Ben at" in refused.content.decode()


def test_bulk_refuses_unsafe_redirects(client, agent):
    client.force_login(agent)
    rr = return_in_state("resolved")
    response = client.post("/desk/bulk/", {"ids": [rr.pk], "action": "close", "next": "https://evil.example/"})
    assert response["Location"] == "/desk/"
