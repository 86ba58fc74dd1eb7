"""A VA's day in Chromium: claim, reply with a canned response, approve, receive, inspect, refund; a refund
above the limit approved by a manager; a second VA's stale approval refused politely."""

import re

import pytest
from playwright.sync_api import expect

from returns_desk.core.actors import Actor
from returns_desk.desk.models import CannedResponse
from returns_desk.orders.models import Product
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from returns_desk.staff.models import StaffProfile
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, UserFactory, return_in_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name=f"Log out {username}")).to_be_visible()


def run_action(page, label, button=None):
    """Open an action's panel on the ticket (unless it is open already) and press its button."""
    panel = page.locator("details.action").filter(has=page.locator("summary", has_text=label)).first
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    panel.get_by_role("button", name=button or label).click()


@pytest.fixture
def two_item_return(agent):
    kept = ProductFactory(title="Linen shirt (M)", stock=1)
    order = OrderFactory(amount_paid=7000, customer_name="Casey Jones")
    shirt = OrderLineFactory(order=order, product=kept, title="Linen shirt (M)", unit_price=4000)
    belt = OrderLineFactory(order=order, title="Leather belt", unit_price=3000)
    return services.return_create(
        order=order,
        items=[services.RequestedItem(shirt.pk, 1, "damaged"), services.RequestedItem(belt.pk, 1, "damaged")],
        by=Actor.customer(),
    )


def test_an_agent_works_a_return_from_claim_to_refund(page, live_server, agent, two_item_return, screenshot):
    rr = two_item_return
    CannedResponse.objects.create(
        title="Thanks, reviewing", body="Hi {first_name}, thanks for {rma}. We will reply {timeframe}."
    )
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}/desk/?queue=new")
    row = page.locator("tr", has_text=rr.rma_number)
    row.get_by_role("button", name="Claim").click()
    expect(page.get_by_role("status")).to_contain_text(f"{rr.rma_number} is yours.")
    screenshot("desk-queue")
    page.get_by_role("link", name=rr.rma_number).click()

    page.get_by_label("Canned response").select_option(label="Thanks, reviewing")
    page.get_by_role("button", name="Use").click()
    message = page.locator("#composer textarea")
    expect(message).to_have_value(f"Hi Casey, thanks for {rr.rma_number}. We will reply within one working day.")
    page.locator("#composer").get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Reply sent to the customer.")

    run_action(page, "Approve")
    expect(page.get_by_role("status")).to_contain_text("Approved.")
    run_action(page, "Mark received")
    expect(page.get_by_role("status")).to_contain_text("Parcel received.")
    shirt, belt = rr.items.order_by("id")
    panel = page.locator("details.action", has_text="Record inspection")
    panel.locator(f"#id_inspect-outcome_{shirt.pk}").select_option("accepted")
    panel.locator(f"#id_inspect-grade_{shirt.pk}").select_option("like_new")
    panel.locator(f"#id_inspect-disposition_{shirt.pk}").select_option("restock")
    panel.locator(f"#id_inspect-outcome_{belt.pk}").select_option("rejected")
    panel.locator(f"#id_inspect-note_{belt.pk}").fill("Buckle scratched by the customer.")
    panel.locator(f"#id_inspect-customer_note_{belt.pk}").fill("The buckle came back scratched.")
    panel.locator(f"#id_inspect-rejected_handling_{belt.pk}").select_option("sent_back_our_cost")
    screenshot("desk-inspection")
    panel.get_by_role("button", name="Record inspection").click()
    expect(page.get_by_role("status")).to_contain_text("Inspection recorded.")

    refund = page.locator("details.action", has_text="Issue refund")
    expect(refund.get_by_label("Amount to refund")).to_have_value("40.00")
    refund.get_by_label("Payment reference of the refund you made").fill("BANK-40")
    refund.get_by_role("button", name="Issue refund").click()
    expect(page.get_by_role("status")).to_contain_text("Refund of $40.00 recorded (reference BANK-40).")
    screenshot("desk-ticket")
    rr.refresh_from_db()
    assert (rr.status, rr.refund_amount, rr.assignee_id) == ("resolved", 4000, agent.pk)  # recorded, confirmed
    assert Product.objects.get(title="Linen shirt (M)").stock == 2


def test_a_refund_above_the_limit_goes_to_a_manager_who_approves_it(browser, live_server, agent, manager):
    StaffProfile.objects.create(user=agent, refund_limit=5000)
    rr = return_in_state("inspected", unit_price=12000)
    va = browser.new_page()
    log_in(va, live_server, "ana")
    va.goto(f"{live_server.url}{rr.get_absolute_url()}")
    refund = va.locator("details.action", has_text="Issue refund")
    refund.get_by_label("Payment reference of the refund you made").fill("BANK-120")
    refund.get_by_role("button", name="Issue refund").click()
    expect(va.get_by_role("status")).to_contain_text(
        "Sent to a manager for approval: Refund of $120.00 is above your limit of $50.00."
    )

    boss = browser.new_page()
    log_in(boss, live_server, "morgan")
    boss.goto(f"{live_server.url}/desk/?queue=approvals")
    boss.get_by_role("link", name=rr.rma_number).click()
    boss.locator("details.action", has_text="Approve refund").get_by_label("Payment reference (manual refunds)").fill(
        "BANK-120"
    )
    run_action(boss, "Approve refund")
    expect(boss.get_by_role("status")).to_contain_text("Approved as asked.")  # the button said "Approve refund"
    rr.refresh_from_db()
    assert rr.status == "resolved" and rr.refunds.get().amount == 12000


def test_an_override_above_the_limit_is_denied_and_the_ticket_goes_back_to_the_settlement(
    browser, live_server, agent, manager, screenshot
):
    rr = return_in_state("inspected", unit_price=26315)
    va = browser.new_page()
    log_in(va, live_server, "ana")
    va.goto(f"{live_server.url}{rr.get_absolute_url()}")
    refund = va.locator("details.action", has_text="Issue refund")
    refund.get_by_label("Amount to refund").fill("9999999999.99")
    refund.get_by_label("Payment reference of the refund you made").fill("BANK-1")
    refund.get_by_role("button", name="Issue refund").click()
    refused = va.locator("details.action", has_text="Issue refund")
    expect(refused.locator("p.error")).to_contain_text("At most $263.15 can still be given back for this return")
    expect(refused.get_by_label("Amount to refund")).to_have_value("9999999999.99")  # kept beside the message
    refused.get_by_label("Amount to refund").fill("289.47")
    refused.get_by_label("Why a different amount").fill("Goodwill: the courier lost the first parcel.")
    va.evaluate("document.querySelectorAll('#actions p.error').forEach(e => e.remove())")
    refused.get_by_role("button", name="Issue refund").click()
    expect(va.locator("details.action", has_text="Issue refund").locator("p.error")).to_contain_text(
        "At most $263.15 can still be given back"
    )  # more than the settlement is more than remains: bounded whatever the reason
    page = va.locator("details.action", has_text="Issue refund")
    page.get_by_label("Amount to refund").fill("250.00")
    page.get_by_label("Why a different amount").fill("Scuffed heel; agreed with the customer.")
    page.get_by_role("button", name="Issue refund").click()
    expect(va.get_by_role("status")).to_contain_text(
        "Sent to a manager for approval: Refund of $250.00 is above your limit of $200.00."
    )

    boss = browser.new_page()
    log_in(boss, live_server, "morgan")
    boss.goto(f"{live_server.url}/desk/?queue=approvals")
    row = boss.locator("tr.approval-row").first
    expect(row).to_contain_text("Refund $250.00")
    expect(row).to_contain_text("by Ana")
    expect(row).to_contain_text("$263.15")  # paid and settled at inspection
    expect(row).to_contain_text("Reason: Scuffed heel; agreed with the customer.")
    screenshot("desk-approvals-queue", on=boss)
    boss.get_by_role("link", name=rr.rma_number).click()
    request = boss.locator("#approval-request")
    expect(request).to_contain_text("Refund of $250.00")
    expect(request).to_contain_text("Scuffed heel; agreed with the customer.")
    expect(request).to_contain_text("Still refundable")
    screenshot("desk-approval-ticket", on=boss)
    deny = boss.locator("details.action", has_text="Deny refund")  # the outcome asked for names the buttons
    deny.locator("summary").click()
    deny.get_by_label("Reason").fill("Offer store credit instead.")
    deny.get_by_role("button", name="Deny refund").click()
    expect(boss.get_by_role("status")).to_contain_text("Denied; back to the VA with your reason")

    va.goto(f"{live_server.url}{rr.get_absolute_url()}")
    again = va.locator("details.action", has_text="Issue refund")
    expect(again.get_by_label("Amount to refund")).to_have_value("263.15")
    expect(again).to_contain_text("Settled at inspection: $263.15")
    screenshot("desk-after-denial", on=va)
    expect(va.locator(".timeline")).to_contain_text("Morgan denied refund of $250.00 asked by Ana")
    expect(va.locator("#denied")).to_contain_text("Offer store credit instead.")
    rr.refresh_from_db()
    assert (rr.status, rr.refund_amount) == ("inspected", 26315)
    assert not rr.refunds.exists()


def test_a_second_agents_stale_approve_is_refused_politely(browser, live_server, agent, second_agent):
    rr = return_in_state("requested")
    ana, ben = browser.new_page(), browser.new_page()
    log_in(ana, live_server, "ana")
    log_in(ben, live_server, "ben")
    for page in (ana, ben):
        page.goto(f"{live_server.url}{rr.get_absolute_url()}")
    run_action(ana, "Approve")
    expect(ana.get_by_role("status")).to_contain_text("Approved.")
    run_action(ben, "Approve")
    expect(ben.locator(".messages")).to_contain_text("Already approved by Ana at")
    expect(ben.locator(".messages")).to_contain_text("Nothing was changed.")
    expect(ben.get_by_role("heading", name=rr.rma_number)).to_be_visible()  # the ticket, not an error page
    assert ReturnRequest.objects.get(pk=rr.pk).events.filter(transition="approve").count() == 1


def test_keyboard_r_opens_the_reply_and_n_the_next_ticket(page, live_server, agent):
    first, second = return_in_state("requested"), return_in_state("requested")
    UserFactory(username="other")
    log_in(page, live_server, "ana")
    page.goto(f"{live_server.url}{first.get_absolute_url()}")
    page.keyboard.press("r")
    expect(page.locator("#composer textarea")).to_be_focused()
    page.locator("h1").click()  # leave the text box
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name=second.rma_number)).to_be_visible()


def test_a_manager_reads_insights_and_narrows_them_to_a_category(page, live_server, manager, screenshot):
    for _ in range(3):
        return_in_state("resolved")
    log_in(page, live_server, "morgan")
    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Insights", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Return rate by category")).to_be_visible()
    expect(page.get_by_role("img", name="Why customers return")).to_be_visible()
    screenshot("insights")
    page.get_by_label("Category", exact=True).select_option("tops")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"category=tops"))
    with page.expect_download() as download:
        page.locator("#reasons").get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("reasons-") and download.value.suggested_filename.endswith(
        "-tops.csv"
    )
