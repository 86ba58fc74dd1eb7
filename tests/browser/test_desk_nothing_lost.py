"""Nothing a VA types is lost (an expired session, a server error, a reload), and "n" walks a queue onwards.

The first tests use Django's test client (they run without a browser); the others drive Chromium.
"""

import datetime as dt
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from returns_desk.core import clock
from returns_desk.returns.models import ReturnRequest
from tests.factories import return_in_state

LONG_REPLY = (
    "Hello Casey, thank you for the photos. The seam has come apart along the left side, which our makers call a "
    "manufacturing fault, so you will not pay for the return label. Please pack the jacket with its tags."
)


def browser_test(test):
    """Chromium against the live server, whose requests see the test's rows: a transactional database."""
    return pytest.mark.browser(pytest.mark.django_db(transaction=True)(test))


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    fill_login(page, username)


def fill_login(page, username):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out {username}")).to_be_visible()


@pytest.mark.django_db
def test_a_reply_posted_after_the_session_ended_waits_in_the_composer_after_logging_in(agent):
    rr = return_in_state("requested")
    client = Client()
    response = client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "note", "body": LONG_REPLY})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next=/desk/returns/{rr.pk}/"  # not the POST-only URL
    client.post("/accounts/login/", {"username": "ana", "password": "pw"})
    response = client.get(rr.get_absolute_url())
    page = response.content.decode()
    assert "Your unsent note is below; nothing was sent." in page
    assert f">\n{LONG_REPLY}</textarea>" in page
    assert response.context["composer"]["kind"].value() == "note"
    again = client.get(rr.get_absolute_url()).content.decode()
    assert "Your unsent note" not in again and LONG_REPLY not in again  # given back once
    assert not rr.events.filter(body=LONG_REPLY).exists()


@pytest.mark.django_db
def test_an_htmx_post_without_a_session_loads_the_login_page_as_a_whole_page(agent):
    rr = return_in_state("requested")
    response = Client().post(f"/desk/returns/{rr.pk}/reply/", {"body": LONG_REPLY}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/accounts/login/?next=/desk/returns/{rr.pk}/"


@pytest.mark.django_db
def test_other_posts_without_a_session_log_in_back_to_the_page_they_came_from(agent):
    rr = return_in_state("requested")
    page = f"http://testserver{rr.get_absolute_url()}"
    response = Client().post(f"/desk/returns/{rr.pk}/claim/", headers={"Referer": page})
    assert response["Location"] == f"/accounts/login/?next=http%3A//testserver/desk/returns/{rr.pk}/"
    elsewhere = Client().post(f"/desk/returns/{rr.pk}/claim/", headers={"Referer": "https://evil.example/"})
    assert elsewhere["Location"] == "/accounts/login/?next=/desk/"


@pytest.mark.django_db
def test_a_sent_reply_tells_the_browser_to_drop_its_draft(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    assert "data-draft-sent" not in client.get(rr.get_absolute_url()).content.decode()
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "reply", "body": "On its way."})
    assert "data-draft-sent" in client.get(rr.get_absolute_url()).content.decode()
    assert "data-draft-sent" not in client.get(rr.get_absolute_url()).content.decode()


@browser_test
def test_a_vas_reply_survives_an_expired_session(browser, live_server, agent, screenshot):
    rr = return_in_state("requested")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}{rr.get_absolute_url()}")
    page.locator("#composer textarea").fill(LONG_REPLY)

    other_tab = context.new_page()  # the same browser: logging out there ends this page's session too
    other_tab.goto(f"{live_server.url}/desk/")
    other_tab.get_by_role("button", name="Log out ana").click()
    expect(other_tab.get_by_role("heading", name="Log in to the desk")).to_be_visible()

    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Log in to the desk")).to_be_visible()  # a page, not an HTTP 405
    fill_login(page, "ana")
    expect(page).to_have_url(re.compile(rf"/desk/returns/{rr.pk}/$"))
    expect(page.locator("#unsent-reply")).to_have_text("Your unsent reply is below; nothing was sent.")
    expect(page.locator("#composer textarea")).to_have_value(LONG_REPLY)
    screenshot("desk-unsent-reply", on=page)
    assert not rr.events.filter(body=LONG_REPLY).exists()

    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_role("status").first).to_contain_text("Reply sent to the customer.")
    expect(page.locator(".timeline")).to_contain_text(LONG_REPLY[:60])
    expect(page.locator("#composer textarea")).to_have_value("")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('desk-draft:'))") == []
    assert rr.events.filter(body=LONG_REPLY, kind="message").count() == 1
    context.close()


@browser_test
def test_a_draft_outlives_a_server_error_and_a_reload_and_goes_once_sent(page, live_server, agent):
    rr = return_in_state("requested")
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}{rr.get_absolute_url()}")
    page.get_by_label("Internal note (desk only)").check()
    page.locator("#composer textarea").fill("Customer called: the parcel left on Monday.")

    page.route(f"**/desk/returns/{rr.pk}/reply/", lambda route: route.fulfill(status=500, body="Server Error"))
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.locator("#composer .draft-notice")).to_contain_text("The server failed, so this was not sent.")
    expect(page.locator("#composer textarea")).to_have_value("Customer called: the parcel left on Monday.")
    page.unroute(f"**/desk/returns/{rr.pk}/reply/")

    page.reload()
    expect(page.locator("#composer .draft-notice")).to_contain_text("Your draft from this browser is back")
    expect(page.locator("#composer textarea")).to_have_value("Customer called: the parcel left on Monday.")
    expect(page.get_by_label("Internal note (desk only)")).to_be_checked()
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_role("status").first).to_contain_text("Internal note added.")
    page.reload()
    expect(page.locator("#composer textarea")).to_have_value("")
    expect(page.locator("#composer .draft-notice")).to_have_count(0)
    assert rr.events.filter(kind="note", body="Customer called: the parcel left on Monday.").count() == 1


@browser_test
def test_n_walks_a_queue_of_five_tickets_without_repeating_one(page, live_server, agent, screenshot):
    tickets = [return_in_state("requested") for _ in range(5)]
    for hours, rr in zip((5, 1, 4, 2, 3), tickets, strict=True):
        ReturnRequest.objects.filter(pk=rr.pk).update(sla_due_at=clock.now() + dt.timedelta(hours=hours))
    in_queue_order = [rr.rma_number for rr in ReturnRequest.objects.order_by("sla_due_at")]
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}/desk/?queue=unassigned")
    page.get_by_role("link", name=in_queue_order[0]).click()

    met = []
    for _ in range(5):
        heading = page.locator("h1")
        expect(heading).to_contain_text("RMA-")
        met.append(re.search(r"RMA-\d+", heading.inner_text()).group())
        if len(met) == 2:  # working a ticket on the way (claiming it takes it out of "Unassigned") keeps the walk
            page.locator(".head-facts").get_by_role("button", name="Claim").click()
            expect(page.get_by_role("status").first).to_contain_text("is yours.")
        page.locator("h1").click()  # not typing anywhere
        page.keyboard.press("n")
        if len(met) < 5:
            expect(page.locator("h1")).not_to_contain_text(met[-1])
    screenshot("desk-queue-walked")
    assert met == in_queue_order
    assert len(set(met)) == 5
    expect(page).to_have_url(re.compile(r"/desk/\?queue=unassigned$"))
    expect(page.get_by_role("status").first).to_contain_text(
        "That was the last ticket you can work on in “Unassigned”."
    )
