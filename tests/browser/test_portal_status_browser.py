"""A return's status page in Chromium, read as the customer reads it on a phone (390 px) and a laptop (1280 px):
what happens next, by when and how much in the first screen, and each item's outcome explained."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from returns_desk.core import clock
from returns_desk.payments import services as payments
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, StoreCreditFactory, return_in_state
from tests.portal.test_status_page import DESK_NOTE, day, desk, inspected_return, opened_return

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


def open_status(page, live_server, rr, viewport=PHONE):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/returns/status/{rr.customer_token}/")


def in_first_screen(page, locator) -> None:
    """Visible without scrolling: the element ends above the bottom of the window."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and box["y"] + box["height"] <= height, f"ends at {box} in a window {height} px high"


def item(page, title: str):
    return page.locator("li.customer-item", has_text=title)


def test_an_item_not_accepted_is_explained_with_its_handling_and_both_amounts(
    page, live_server, reference_data, screenshot
):
    rr = inspected_return(items=2, rejected=1, price=5000)
    for viewport in (PHONE, LAPTOP):
        open_status(page, live_server, rr, viewport)
        rejected = item(page, "Wool jumper 1")
        expect(rejected.locator(".badge")).to_have_text("Not accepted")
        expect(rejected).to_contain_text("Not accepted $0.00 (price paid $50.00)")
        expect(rejected).to_contain_text("The jumper was worn & washed: it can't be sold again.")
        expect(rejected).to_contain_text("What happens to it: Sent back to you at your cost")
        accepted = item(page, "Wool jumper 2")
        expect(accepted.locator(".badge")).to_have_text("Accepted")
        expect(accepted).to_contain_text("Accepted $50.00")
        expect(accepted).not_to_contain_text("Why")
        expect(page.locator("body")).not_to_contain_text(DESK_NOTE)
        expect(page.locator("body")).not_to_contain_text("wedding")
    open_status(page, live_server, rr)
    in_first_screen(page, page.locator(".money tr.accepted"))
    expect(page.get_by_role("row", name="Quoted")).to_have_text("Quoted$100.00")
    expect(page.get_by_role("row", name="Accepted")).to_have_text("Accepted$50.00")
    in_first_screen(page, page.locator("p.not-accepted"))
    page.get_by_role("link", name="why, and what happens to it").click()
    expect(page).to_have_url(f"{live_server.url}/returns/status/{rr.customer_token}/#items")
    screenshot("status-item-not-accepted")


def test_after_a_refund_the_amount_and_expected_date_are_in_the_first_screen(
    page, live_server, reference_data, screenshot
):
    rr = inspected_return(items=2, rejected=1, price=5000)
    rr = payments.return_issue_refund(return_request=rr, by=desk(), reference="BANK-55")
    refund = rr.refunds.get()
    for viewport in (PHONE, LAPTOP):
        open_status(page, live_server, rr, viewport)
        money = page.locator("p.refund")
        expect(money).to_contain_text(f"{refund.amount_display} ")
        expect(money).to_contain_text(f"You should see it by {day(refund.expected_by)}.")
        in_first_screen(page, money)
        in_first_screen(page, page.locator(".money tr.accepted"))
    screenshot("status-refund")


def test_after_store_credit_the_code_and_balance_are_in_the_first_screen(page, live_server, reference_data, screenshot):
    rr = inspected_return(items=1, rejected=0, price=5000)
    StoreCreditFactory(return_request=return_in_state(order=OrderFactory(email=rr.email)), amount=1250, code="SC-OLDER")
    rr = payments.return_issue_store_credit(return_request=rr, by=desk())
    credit = rr.store_credits.get(kind="issue")
    balance = f"${(credit.amount + 1250) / 100:,.2f}"
    for viewport in (PHONE, LAPTOP):
        open_status(page, live_server, rr, viewport)
        code = page.locator("p.credit")
        expect(code).to_contain_text(f"Store credit: code {credit.code} for {credit.amount_display}")
        in_first_screen(page, code)
        expect(page.locator("p.credit-balance")).to_have_text(f"Your store credit balance: {balance}")
        in_first_screen(page, page.locator("p.credit-balance"))
    screenshot("status-store-credit")


def test_a_passed_due_date_reads_taking_longer_and_names_the_shop_time_zone(
    page, live_server, reference_data, settings, screenshot
):
    settings.TIME_ZONE = "Europe/London"
    rr = opened_return(items=1)
    if rr.status != "requested":
        pytest.skip("the policy approved it at once")
    long_ago = clock.now() - dt.timedelta(days=120)
    ReturnRequest.objects.filter(pk=rr.pk).update(status_changed_at=long_ago)
    for viewport in (PHONE, LAPTOP):
        open_status(page, live_server, rr, viewport)
        late = page.locator(".status-head .due")
        expect(late).to_have_text("This is taking longer than we aimed for; we are on it.")
        in_first_screen(page, late)
        expect(page.locator(".status-head")).not_to_contain_text("We aim to do this by")
        expect(page.locator(".status-head")).to_contain_text("Times on this page are Europe/London time.")
        expect(page.locator(".timeline time").first).to_have_text(re.compile(r"^\d+ \w{3} \d{4}, \d\d:\d\d (GMT|BST)$"))
    screenshot("status-taking-longer")


def test_a_due_date_ahead_is_a_dated_promise_with_year_and_zone(page, live_server, reference_data, settings):
    settings.TIME_ZONE = "Europe/London"
    rr = opened_return(items=1)
    if rr.status != "requested":
        pytest.skip("the policy approved it at once")
    open_status(page, live_server, rr)
    due = page.locator(".status-head .due")
    expect(due).to_have_text(re.compile(r"^We aim to do this by \w+ \d+ \w+ \d{4}, \d\d:\d\d (GMT|BST)\.$"))
    in_first_screen(page, due)
