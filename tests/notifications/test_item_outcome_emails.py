"""The inspection email leaves no question open: for each item whether it was accepted, and if not why (in the
words the desk wrote for the customer, never its own note) and what happens to it, with the amount per item;
then "We accepted $X of the $Y quoted" and how $X was reached."""

import re

import pytest
from django.core import mail
from django.utils.html import escape

from returns_desk.core.actors import Actor
from returns_desk.core.money import format_money
from returns_desk.payments import services as payments
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory

DESK_NOTE = "DESK ONLY: third return this month, watch this customer"
WHY = "They came back worn & washed; the soles can't be resold."


def open_received(agent, lines: list[tuple[str, int]], *, reason: str = "damaged", resolution: str = "refund"):
    """A return of one unit of each (title, price) line, approved and received by the desk."""
    order = OrderFactory(amount_paid=sum(price for _, price in lines), customer_name="Casey Customer")
    made = [OrderLineFactory(order=order, title=title, unit_price=price) for title, price in lines]
    rr = services.return_create(
        order=order,
        by=Actor.customer(),
        resolution=resolution,
        items=[services.RequestedItem(line.pk, 1, reason) for line in made],
    )
    services.return_approve(return_request=rr, by=Actor.staff(agent))
    return services.return_receive(return_request=rr, by=Actor.staff(agent))


def inspection_email(rr: ReturnRequest):
    [message] = [m for m in mail.outbox if "inspected your return" in m.subject]
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    return message, html


def reject(item, *, outcome="rejected", why=WHY, handling="sent_back_your_cost"):
    return services.ItemInspection(
        item.pk, outcome, "used", "", note=DESK_NOTE, customer_note=why, rejected_handling=handling
    )


@pytest.fixture
def coat_accepted_boots_rejected(agent, django_capture_on_commit_callbacks):
    rr = open_received(agent, [("Wool coat", 14900), ("Leather boots", 8900)])
    coat, boots = rr.items.order_by("id")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[services.ItemInspection(coat.pk, "accepted", "like_new", "restock"), reject(boots)],
        )
    return ReturnRequest.objects.get(pk=rr.pk)


def test_each_item_says_whether_it_was_accepted_why_not_what_happens_to_it_and_its_amount(
    coat_accepted_boots_rejected,
):
    message, html = inspection_email(coat_accepted_boots_rejected)
    text = message.body
    assert "1 × Wool coat\n  Accepted: $149.00" in text
    assert "1 × Leather boots\n  Not accepted: $0.00 of its $89.00" in text
    assert f"  Why: {WHY}\n" in text  # as typed: no &amp; nor &#x27; in the text part
    assert "  What happens to it: Sent back to you at your cost" in text
    assert "We accepted $149.00 of the $238.00 quoted." in text
    assert "Not accepted: 1 × Leather boots ($89.00); the reason is given with it." in text
    assert "Next, we refund $149.00 to your original payment method" in text
    assert "If you think we got an item wrong, reply to this email" in text
    assert "Amount to settle" not in text and "Amount to settle" not in html
    assert escape(WHY) in html and "Sent back to you at your cost" in html
    assert "We accepted $149.00 of the $238.00 quoted." in html


def test_the_desks_own_note_never_reaches_the_customer(coat_accepted_boots_rejected):
    assert coat_accepted_boots_rejected.items.filter(inspection_note=DESK_NOTE).exists()  # it was recorded
    assert mail.outbox
    for message in mail.outbox:
        parts = [message.subject, message.body, *(body for body, _ in message.alternatives)]
        assert not any("third return this month" in part for part in parts)


def amounts(lines: str) -> list[int]:
    """Every "+$1.00" / "-$1.00" / "$1.00" figure on the lines, in cents."""
    found = re.findall(r"([+-]?)\$([\d,]+)\.(\d\d)$", lines, flags=re.MULTILINE)
    return [
        (-1 if sign == "-" else 1) * (int(units.replace(",", "")) * 100 + int(cents)) for sign, units, cents in found
    ]


def test_fees_and_the_store_credit_bonus_add_up_to_the_accepted_total_and_to_the_credit_issued(
    agent, django_capture_on_commit_callbacks
):
    # "Doesn't fit": the customer pays the restocking fee and the return shipping under the policy.
    rr = open_received(
        agent, [("Linen shirt", 10000), ("Canvas belt", 5000)], reason="doesnt-fit", resolution="store_credit"
    )
    shirt, belt = rr.items.order_by("id")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[
                services.ItemInspection(shirt.pk, "accepted", "like_new", "restock"),
                reject(belt, outcome="wrong_item", why="This belt is not one we sell.", handling="held"),
            ],
        )
    rr.refresh_from_db()
    text = inspection_email(rr)[0].body
    headline = re.search(r"We accepted (\$[\d,.]+) of the (\$[\d,.]+) quoted\.", text)
    assert headline and headline[2] == rr.quoted_amount_display
    assert "A different item came back: $0.00 of its $50.00" in text
    assert "What happens to it: Held for you to collect for 30 days" in text
    reached = text.split(f"How we reached {headline[1]}:\n")[1].split("\n\n")[0]
    assert "Items accepted: $100.00" in reached and "Restocking fee (10%): -$10.00" in reached
    assert "Return shipping" in reached and "added when we issue the store credit: +$" in reached
    total = sum(amounts(reached))
    assert format_money(total, "USD") == headline[1]
    assert f"Next, we issue {headline[1]} of store credit" in text
    with django_capture_on_commit_callbacks(execute=True):
        payments.return_issue_store_credit(return_request=rr, by=Actor.staff(agent))
    assert rr.store_credits.get().amount_display == headline[1]  # the email promised what was then issued


def test_when_nothing_is_accepted_the_email_says_so_and_promises_nothing(agent, django_capture_on_commit_callbacks):
    rr = open_received(agent, [("Wool coat", 14900), ("Silk scarf", 3000)])
    coat, scarf = rr.items.order_by("id")
    with django_capture_on_commit_callbacks(execute=True):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[reject(coat, handling="disposed"), services.ItemInspection(scarf.pk, "missing", note=DESK_NOTE)],
        )
    text = inspection_email(rr)[0].body
    assert "We accepted $0.00 of the $179.00 quoted." in text
    assert "We could not accept any of the items; the reason is given with each one." in text
    assert "What happens to it: Recycled or disposed of" in text
    assert "1 × Silk scarf\n  Not in the parcel: $0.00 of its $30.00\n  Why: We did not find it in the parcel" in text
    assert "There is nothing to refund, credit or exchange for this return." in text
    assert "Next, we refund" not in text and DESK_NOTE not in text


def test_every_item_accepted_as_quoted_reads_simply(agent, django_capture_on_commit_callbacks):
    rr = open_received(agent, [("Wool coat", 14900)])
    with django_capture_on_commit_callbacks(execute=True):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[services.ItemInspection(i.pk, "accepted", "new", "restock") for i in rr.items.all()],
        )
    text = inspection_email(rr)[0].body
    assert "We accepted every item: the full $149.00 quoted." in text
    assert "How we reached" not in text and "If you think we got an item wrong" not in text


def test_an_item_by_item_return_says_what_each_item_asked_for_and_counts_the_bonus_on_the_credit_part(
    agent, django_capture_on_commit_callbacks
):
    order = OrderFactory(amount_paid=20000, customer_name="Casey Customer")
    coat = OrderLineFactory(order=order, title="Wool coat", unit_price=12000)
    shirt = OrderLineFactory(order=order, title="Linen shirt", unit_price=8000)
    rr = services.return_create(
        order=order,
        by=Actor.customer(),
        items=[
            services.RequestedItem(coat.pk, 1, "damaged", resolution="refund"),
            services.RequestedItem(shirt.pk, 1, "damaged", resolution="store_credit"),
        ],
    )
    assert rr.resolution == "mixed"
    services.return_approve(return_request=rr, by=Actor.staff(agent))
    services.return_receive(return_request=rr, by=Actor.staff(agent))
    with django_capture_on_commit_callbacks(execute=True):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[services.ItemInspection(i.pk, "accepted", "new", "restock") for i in rr.items.all()],
        )
    text = inspection_email(rr)[0].body
    assert "1 × Wool coat\n  Accepted (refund): $120.00" in text
    assert "1 × Linen shirt\n  Accepted (store credit): $80.00" in text
    headline = re.search(r"We accepted (\$[\d,.]+) of the (\$[\d,.]+) quoted\.", text) or re.search(
        r"We accepted every item: the full (\$[\d,.]+) quoted\.", text
    )
    assert headline
    reached = text.split(f"How we reached {headline[1]}:\n")[1].split("\n\n")[0]
    assert "Store credit bonus (10%), added when we issue the store credit: +$8.00" in reached
    assert format_money(sum(amounts(reached)), "USD") == headline[1]
    assert "Next, we settle each accepted item as you asked" in text
