"""The customer's status page answers what happens next, by when, and how much, item by item.

Driven through Django's test client against the real database; returns are moved along by the desk's services
(the inspection records each item's outcome, the reason shown to the customer and the desk's own note).
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services
from returns_desk.returns.models import ReturnItem, ReturnPhoto, ReturnRequest
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    RefundFactory,
    StoreCreditFactory,
    return_in_state,
)
from tests.factories.returns import desk_setup_user

pytestmark = pytest.mark.django_db

DESK_NOTE = "DESK ONLY: customer probably wore it to a wedding"
WHY = "The jumper was worn & washed: it can't be sold again."


def day(value: dt.date) -> str:
    """A date as the status page writes it: always with its year."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def short_day(value: dt.date) -> str:
    return f"{value.day} {value:%B %Y}"


def opened_return(*, items: int = 2, price: int = 5000) -> ReturnRequest:
    """A return of `items` jumpers (one order line each), opened by the customer."""
    order = OrderFactory(amount_paid=price * items)
    lines = [
        OrderLineFactory(order=order, unit_price=price, product__title=f"Wool jumper {n + 1}") for n in range(items)
    ]
    return services.return_create(
        order=order,
        items=[services.RequestedItem(line.pk, 1, "damaged") for line in lines],
        by=Actor.customer(),
    )


def inspected_return(*, items: int = 2, rejected: int = 1, price: int = 5000, handling: str = "sent_back_your_cost"):
    """Approved, received and inspected by the desk: the first `rejected` items are not accepted, with a reason
    for the customer, what happens to them, and a note for the desk only."""
    rr = opened_return(items=items, price=price)
    by = Actor.staff(desk_setup_user())
    if rr.status == "requested":
        rr = services.return_approve(return_request=rr, by=by)
    rr = services.return_receive(return_request=rr, by=by)
    ordered = list(rr.items.order_by("id"))
    results = [
        services.ItemInspection(
            item_id=item.pk,
            outcome="rejected" if n < rejected else "accepted",
            grade="used",
            disposition="" if n < rejected else "restock",
            note=DESK_NOTE,
            customer_note=WHY if n < rejected else "",
            rejected_handling=handling if n < rejected else "",
        )
        for n, item in enumerate(ordered)
    ]
    rr = services.return_inspect(return_request=rr, by=by, results=results)
    return ReturnRequest.objects.get(pk=rr.pk)


def desk() -> Actor:
    return Actor.staff(desk_setup_user())


def status_page(client, rr) -> str:
    response = client.get(f"/returns/status/{rr.customer_token}/")
    assert response.status_code == 200
    return response.content.decode()


def first_screen(page: str) -> str:
    """The status card at the top of the page: what a phone shows before any scrolling."""
    start = page.index('class="card status-head"')
    return page[start : page.index("</section>", start)]


def item_block(page: str, title: str) -> str:
    start = page.index(f"× {title}</strong>")
    return page[start : page.index("</li>", start)]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" .", ".").replace(" ,", ",").replace(" :", ":")


# --- item by item -----------------------------------------------------------------------------------------------


def test_a_rejected_item_shows_the_customers_reason_its_handling_and_amount_but_never_the_desk_note(
    client, reference_data
):
    rr = inspected_return(items=2, rejected=1, price=5000)
    page = status_page(client, rr)

    rejected = text(item_block(page, "Wool jumper 1"))
    assert "Not accepted $0.00 (price paid $50.00)" in rejected
    assert "Why: The jumper was worn &amp; washed: it can&#x27;t be sold again." in rejected  # escaped, once
    assert "What happens to it: Sent back to you at your cost" in rejected
    accepted = text(item_block(page, "Wool jumper 2"))
    assert "Accepted $50.00" in accepted
    assert "Why" not in accepted and "What happens to it" not in accepted
    assert "DESK ONLY" not in page and "wedding" not in page

    top = text(first_screen(page))
    assert f"Quoted {rr.quoted_amount_display}" in top and f"Accepted {rr.refund_amount_display}" in top
    assert "1 item was not accepted: why, and what happens to it." in top


def test_each_handling_of_an_item_not_accepted_is_said_in_the_customers_words(client, reference_data):
    for handling, words in [
        ("sent_back_our_cost", "Sent back to you at our cost"),
        ("held", "Held for you to collect for 30 days"),
        ("disposed", "Recycled or disposed of"),
    ]:
        rr = inspected_return(items=1, rejected=1, handling=handling)
        assert f"What happens to it: {words}" in text(item_block(status_page(client, rr), "Wool jumper 1"))


def test_an_item_not_accepted_without_words_for_the_customer_still_tells_them_how_to_ask(client, reference_data):
    rr = inspected_return(items=2, rejected=1)
    rr.items.update(customer_note="", rejected_handling="")
    block = text(item_block(status_page(client, rr), "Wool jumper 1"))
    assert "Why: write to us below and we will explain." in block and "What happens to it" not in block
    assert DESK_NOTE not in status_page(client, rr)


def test_each_item_says_what_it_asked_for_including_the_size_wanted_in_exchange(client, reference_data):
    rr = opened_return(items=3)
    first, second, third = rr.items.order_by("id")
    size_l = ProductFactory(title="Wool jumper (L)")
    ReturnItem.objects.filter(pk=first.pk).update(resolution="refund")
    ReturnItem.objects.filter(pk=second.pk).update(resolution="store_credit")
    ReturnItem.objects.filter(pk=third.pk).update(resolution="exchange", exchange_product=size_l)
    ReturnRequest.objects.filter(pk=rr.pk).update(resolution="mixed")
    page = status_page(client, rr)
    assert "You asked for: A refund" in text(item_block(page, "Wool jumper 1"))
    assert "You asked for: Store credit" in text(item_block(page, "Wool jumper 2"))
    assert "You asked for: An exchange for Wool jumper (L)" in text(item_block(page, "Wool jumper 3"))
    assert "Price paid: $50.00" in text(item_block(page, "Wool jumper 3"))  # not inspected yet: no decision
    assert "Accepted" not in page and "Not accepted" not in page


# --- how much, and by when --------------------------------------------------------------------------------------


def test_a_refund_shows_its_amount_and_the_date_to_expect_it_in_the_first_screen(client, reference_data):
    rr = inspected_return(items=2, rejected=1, price=5000)
    rr = payments.return_issue_refund(return_request=rr, by=desk(), reference="BANK-77")
    refund = rr.refunds.get()
    top = text(first_screen(status_page(client, rr)))
    assert f"Refund: {refund.amount_display} sent to your original payment method" in top
    assert f"You should see it by {day(refund.expected_by)}." in top
    assert "We aim to do this by" not in top  # one date for the money, not two


def test_a_refund_on_its_way_gives_one_date_to_expect_it_not_a_second_target(client, reference_data):
    refund = RefundFactory(status=Refund.Status.PENDING)  # the provider has not answered yet
    rr = refund.return_request
    assert rr.status == "refund_pending"
    top = text(first_screen(status_page(client, rr)))
    assert f"Refund: {refund.amount_display} sent to your original payment method on" in top
    assert f"You should see it by {day(refund.expected_by)}." in top
    assert "We aim to do this by" not in top and "taking longer" not in top


def test_a_refund_whose_date_has_passed_is_never_shown_as_a_promise(client, reference_data):
    rr = inspected_return(items=1, rejected=0)
    rr = payments.return_issue_refund(return_request=rr, by=desk(), reference="BANK-78")
    refund = rr.refunds.get()
    Refund.objects.filter(pk=refund.pk).update(
        created_at=clock.now() - dt.timedelta(days=30), status=Refund.Status.PENDING
    )
    refund.refresh_from_db()
    top = text(first_screen(status_page(client, rr)))
    assert "This is taking longer than we aimed for; we are on it." in top
    assert "You should see it by" not in top and day(refund.expected_by) not in top


def test_a_failed_refund_says_so_and_that_the_team_is_on_it(client, reference_data):
    rr = inspected_return(items=1, rejected=0)
    rr = payments.return_issue_refund(return_request=rr, by=desk(), reference="BANK-79")
    Refund.objects.filter(return_request=rr).update(status=Refund.Status.FAILED)
    top = text(first_screen(status_page(client, rr)))
    assert (
        "Refund: your refund of" in top
        and "did not go through. Our team is on it" in top
        and "You should see it by" not in top
    )


def test_store_credit_shows_its_code_amount_and_the_customers_balance_in_the_first_screen(client, reference_data):
    rr = inspected_return(items=2, rejected=0, price=5000)
    earlier = StoreCreditFactory(
        return_request=return_in_state("requested", order=OrderFactory(email=rr.email)), amount=1500, code="SC-OLD"
    )
    rr = payments.return_issue_store_credit(return_request=rr, by=desk())
    credit = rr.store_credits.get(kind="issue")
    top = text(first_screen(status_page(client, rr)))
    assert f"Store credit: code {credit.code} for {credit.amount_display}" in top
    if credit.expires_on:
        assert f"valid until {short_day(credit.expires_on)}" in top
    balance = credit.amount + earlier.amount
    assert f"Your store credit balance: ${balance / 100:,.2f}" in top


def test_store_credit_asked_for_says_the_bonus_comes_when_it_is_issued(client, reference_data):
    rr = inspected_return(items=1, rejected=0)
    ReturnRequest.objects.filter(pk=rr.pk).update(resolution="store_credit")
    rr.items.update(resolution="store_credit")
    rr.refresh_from_db()
    top = text(first_screen(status_page(client, rr)))
    assert f"Accepted {rr.refund_amount_display} Store credit gets its bonus on top when we issue it." in top


def test_an_exchange_shows_the_replacement_its_carrier_and_tracking_in_the_first_screen(client, reference_data):
    rr = inspected_return(items=1, rejected=0)
    size_l = ProductFactory(title="Wool jumper (L)", price=5000, stock=3)
    rr.items.update(exchange_product=size_l, resolution="exchange")
    rr = payments.return_ship_exchange(return_request=rr, by=desk(), carrier="DPD", tracking_number="JD0001234")
    top = text(first_screen(status_page(client, rr)))
    assert "Exchange: 1 × Wool jumper (L) on its way with DPD, tracking number JD0001234." in top


def test_a_passed_deadline_says_taking_longer_never_a_past_date(client, reference_data):
    rr = opened_return(items=1)
    if rr.status != "requested":
        pytest.skip("the policy approved it at once")
    long_ago = clock.now() - dt.timedelta(days=90)
    ReturnRequest.objects.filter(pk=rr.pk).update(status_changed_at=long_ago)
    top = text(first_screen(status_page(client, rr)))
    assert "This is taking longer than we aimed for; we are on it." in top
    assert "We aim to do this by" not in top
    assert str(long_ago.year) not in top.replace(rr.rma_number, "")  # no date of then shown as a promise


def test_a_deadline_ahead_carries_the_year_and_the_named_shop_time_zone(client, reference_data, settings):
    settings.TIME_ZONE = "Europe/London"
    rr = opened_return(items=1)
    if rr.status != "requested":
        pytest.skip("the policy approved it at once")
    rr.refresh_from_db()
    due = rr.status_changed_at + dt.timedelta(hours=active_policy().sla_first_response_hours)
    page = status_page(client, rr)
    top = text(first_screen(page))
    match = re.search(r"We aim to do this by (\w+ \d+ \w+ (\d{4}), (\d\d:\d\d) (\w+))\.", top)
    assert match, top
    local = timezone.localtime(due, ZoneInfo("Europe/London"))
    assert match.group(2) == str(local.year) and match.group(4) == local.strftime("%Z")  # GMT or BST
    assert match.group(3) == f"{local:%H:%M}"
    assert "Times on this page are Europe/London time." in top
    assert re.search(r"\d{4}, \d\d:\d\d (GMT|BST)</time>", page)  # the timeline names it too


def test_times_are_in_the_shops_zone_even_when_another_zone_was_left_active(client, reference_data, settings):
    settings.TIME_ZONE = "Europe/London"
    rr = opened_return(items=1)
    timezone.activate("Asia/Tokyo")  # as a leaked activation would leave it in this thread
    try:
        page = status_page(client, rr)
    finally:
        timezone.deactivate()
    assert "Times on this page are Europe/London time." in page
    assert re.search(r"\d{4}, \d\d:\d\d (GMT|BST)</time>", page) and "JST" not in page


def test_approved_and_the_send_by_date_passed_asks_for_tracking_instead_of_a_past_date(client, reference_data):
    rr = return_in_state("approved", unit_price=9000)
    ReturnRequest.objects.filter(pk=rr.pk).update(status_changed_at=clock.now() - dt.timedelta(days=60))
    top = text(first_screen(status_page(client, rr)))
    assert "The date to send the parcel by has passed." in top and "Please send the parcel by" not in top


def test_approved_with_time_to_send_gives_the_day_with_its_year(client, reference_data, settings):
    rr = return_in_state("approved", unit_price=9000)
    top = text(first_screen(status_page(client, rr)))
    due = timezone.localtime(rr.status_changed_at) + dt.timedelta(days=settings.EXPIRE_APPROVED_AFTER_DAYS)
    assert f"Please send the parcel by {day(due)}." in top


# --- cost -------------------------------------------------------------------------------------------------------


def status_queries(client, *, items: int) -> int:
    """Queries of the status page of an inspected, refunded return with `items` items, each with a photo and a
    message (so a timeline as long as the items)."""
    rr = inspected_return(items=items, rejected=1)
    rr = payments.return_issue_refund(return_request=rr, by=desk(), reference=f"BANK-{items}")
    for item in rr.items.all():
        ReturnPhoto.objects.create(item=item, image=f"return-photos/{item.pk}.jpg")
        services.return_customer_reply(return_request=rr, body=f"About {item}")
    with CaptureQueriesContext(connection) as queries:
        page = status_page(client, rr)
    assert page.count('class="customer-item') == items and page.count("About ") >= items
    return len(queries)


def test_the_status_page_costs_the_same_queries_for_two_items_as_for_twelve(client, reference_data):
    two, twelve = status_queries(client, items=2), status_queries(client, items=12)
    assert twelve == two, f"{two} queries for 2 items, {twelve} for 12"
    assert twelve <= 12


# --- the desk's due dates ---------------------------------------------------------------------------------------


def test_dispute_evidence_past_its_due_date_reads_overdue_with_year_and_zone(settings):
    settings.TIME_ZONE = "Europe/London"
    past = timezone.now() - dt.timedelta(days=3)
    shown = text(render_to_string("includes/due.html", {"due": past}))
    local = timezone.localtime(past, ZoneInfo("Europe/London"))
    assert shown.strip() == f"Evidence was due {local.day} {local:%b %Y, %H:%M %Z}: overdue"
    ahead = text(render_to_string("includes/due.html", {"due": timezone.now() + dt.timedelta(days=3)}))
    assert ahead.strip().startswith("Evidence due") and "from now" in ahead and "overdue" not in ahead
