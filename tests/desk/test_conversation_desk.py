"""The desk shows who is waiting for an answer: a queue, a badge and the wait on each row and ticket, first in
"My open"; the bell counts what came for you, and a reply makes the badge go."""

from django.core.cache import cache

from returns_desk.core.actors import Actor
from returns_desk.desk.models import DeskNotification
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.desk.test_queues import queries
from tests.factories import return_in_state


def rows_of(page) -> list[str]:
    return [row.rma for row in page.context["page"].rows]


def test_the_customer_replied_queue_badge_and_ticket(client, agent):
    client.force_login(agent)
    quiet = return_in_state("approved")
    first = return_in_state("closed")
    second = return_in_state("inspected")
    services.return_customer_reply(return_request=first, body="I found another scratch.")
    services.return_customer_reply(return_request=second, body="Can I get credit instead?")
    cache.clear()
    page = client.get("/desk/?queue=replied")
    assert rows_of(page) == [first.rma_number, second.rma_number]  # longest waiting first
    assert {q.key: n for q, n in page.context["queues"]}["replied"] == 2
    html = page.content.decode()
    assert "Customer replied" in html and quiet.rma_number not in html
    ticket = client.get(first.get_absolute_url()).content.decode()
    assert 'id="customer-waiting"' in ticket and "answer due" in ticket
    client.post(f"/desk/returns/{first.pk}/reply/", {"kind": "reply", "body": "Sorry: send a photo and we'll see."})
    assert 'id="customer-waiting"' not in client.get(first.get_absolute_url()).content.decode()
    cache.clear()
    assert rows_of(client.get("/desk/?queue=replied")) == [second.rma_number]


def test_my_open_puts_the_waiting_customer_first(client, agent):
    client.force_login(agent)
    by = Actor.staff(agent)
    due_first = return_in_state("received")  # the desk owes the inspection: due soonest
    quiet = return_in_state("approved")
    finished = return_in_state("resolved")
    for rr in (due_first, quiet, finished):
        services.return_assign(return_request=rr, assignee=agent, by=by)
    assert rows_of(client.get("/desk/")) == [due_first.rma_number, quiet.rma_number]
    services.return_customer_reply(return_request=quiet, body="Where do I drop the parcel?")
    services.return_customer_reply(return_request=finished, body="My refund never came.")
    assert rows_of(client.get("/desk/")) == [quiet.rma_number, due_first.rma_number]
    # A finished return whose customer wrote again waits in "Customer replied", with everyone else's.
    assert finished.rma_number in rows_of(client.get("/desk/?queue=replied"))


def test_the_bell_counts_lists_and_marks_read(client, agent, second_agent):
    rr = return_in_state("approved")
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    services.return_customer_reply(return_request=rr, body="Is the label coming?")
    services.return_customer_reply(return_request=rr, body="Hello?")
    client.force_login(agent)
    assert 'aria-label="Notifications: 2 unread"' in client.get("/desk/notices/bell/").content.decode()
    listing = client.get("/desk/notices/").content.decode()
    assert "Is the label coming?" in listing and "Mark all 2 read" in listing
    notice = DeskNotification.objects.filter(user=agent).first()
    opened = client.post(f"/desk/notices/{notice.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == rr.get_absolute_url()
    assert DeskNotification.objects.filter(user=agent, read_at__isnull=True).count() == 1
    client.post("/desk/notices/")
    assert not DeskNotification.objects.filter(user=agent, read_at__isnull=True).exists()
    client.force_login(second_agent)  # someone else's notice is not theirs to open
    assert client.post(f"/desk/notices/{notice.pk}/open/").status_code == 404
    assert 'aria-label="Notifications: 0 unread"' in client.get("/desk/notices/bell/").content.decode()


def test_waiting_customers_cost_the_queue_page_no_query(client, manager):
    client.force_login(manager)
    for state in ("requested", "approved", "inspected"):
        return_in_state(state)
    services.return_customer_reply(return_request=ReturnRequest.objects.first(), body="Any news?")
    urls = ["/desk/", "/desk/?queue=replied", "/desk/?queue=all", "/desk/?queue=sla"]
    before = {url: queries(client, url) for url in urls}
    for state in ("requested", "approved", "inspected", "closed") * 3:
        return_in_state(state)
    for rr in ReturnRequest.objects.all():
        services.return_customer_reply(return_request=rr, body="Any news?")
    after = {url: queries(client, url) for url in urls}
    assert after == before
    assert max(after.values()) <= 8, after


def test_a_va_chooses_to_be_emailed_too(client, agent):
    client.force_login(agent)
    assert "checked" not in client.get("/desk/notices/").content.decode().split('id="email-choice"')[1][:40]
    client.post("/desk/notices/email/", {"email_on_customer_reply": "on"})
    agent.refresh_from_db()
    assert agent.staff_profile.email_on_customer_reply is True
    assert 'id="email-choice" name="email_on_customer_reply" checked' in client.get("/desk/notices/").content.decode()
    client.post("/desk/notices/email/", {})
    agent.staff_profile.refresh_from_db()
    assert agent.staff_profile.email_on_customer_reply is False


def test_answering_the_customer_reads_your_notice_about_them(client, agent):
    rr = return_in_state("approved")
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    services.return_customer_reply(return_request=rr, body="Is the label coming?")
    client.force_login(agent)
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "note", "body": "Checking with the warehouse."})
    assert DeskNotification.objects.filter(user=agent, read_at__isnull=True).count() == 1  # a note answers nobody
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "reply", "body": "It is attached again."})
    assert not DeskNotification.objects.filter(user=agent, read_at__isnull=True).exists()
