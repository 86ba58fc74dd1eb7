"""A customer writes from the status page; the VA sees the bell count and the badge after one reload at most,
answers from the ticket, and the badge goes."""

import pytest
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.returns import services
from tests.browser.test_desk_browser import log_in
from tests.factories import return_in_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_message_reaches_the_va_who_answers_it(page, browser, live_server, agent, screenshot):
    rr = return_in_state("resolved", unit_price=2000)
    services.return_assign(return_request=rr, assignee=agent, by=Actor.staff(agent))
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}/desk/?queue=replied")  # a resolved return comes back here when its customer writes
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 0 unread")

    customer = browser.new_context().new_page()
    customer.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")
    customer.get_by_label("Your message").fill("The refund is not on my card yet.")
    customer.get_by_role("button", name="Send message").click()
    expect(customer.get_by_role("status")).to_contain_text("Your message was sent")

    page.reload()  # the one reload: the bell (loaded by htmx) and the queue now show it
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 1 unread")
    row = page.locator("tr", has_text=rr.rma_number)
    expect(row.locator(".badge.replied")).to_contain_text("Customer replied")
    screenshot("desk-customer-replied")

    row.get_by_role("link", name=rr.rma_number).click()
    expect(page.locator("#customer-waiting")).to_be_visible()
    page.locator("#composer").get_by_label("Message").fill("It left us on Monday; banks take 5–10 days.")
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent to the customer.")
    expect(page.locator("#customer-waiting")).to_have_count(0)
    page.goto(f"{live_server.url}/desk/notices/")  # answering the customer read the notice about them
    expect(page.locator("#bell")).to_have_attribute("aria-label", "Notifications: 0 unread")
    expect(page.locator(".notices li")).to_contain_text("The refund is not on my card yet.")
    expect(page.get_by_role("button", name="Mark all 1 read")).to_have_count(0)
