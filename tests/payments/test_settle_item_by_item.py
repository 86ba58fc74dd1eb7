"""A return whose items ask for different outcomes: one refunded, one credited, one exchanged, settled in one
step from the parts its inspection worked out, each part through the order's money rule."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.notifications.models import OutboundEmail
from returns_desk.orders.models import Product
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, return_row_in_state
from tests.factories.orders import ProductFactory

BANK = "BANK-77"


def _styled(sku: str, price: int, *, style: str = ""):
    """A product of the shared catalogue (made once per test; hypothesis runs several returns in one test)."""
    existing = Product.objects.filter(sku=sku).first()
    return existing or ProductFactory(sku=sku, title=sku, price=price, style=style, variant=sku[-1], stock=50)


def _mixed_return(by: Actor, wants: dict[str, str], *, reason: str = "damaged", accept=None) -> ReturnRequest:
    """An order of a $40 shirt, a $30 tee and $20 boots (in a style with a cheaper size), each asking for
    `wants[name]`; opened by the customer, approved, received and inspected (all accepted unless said)."""
    # Paid with room above the items' $90 (shipping), so the quote's cap does not eat the credit's bonus.
    order = OrderFactory(amount_paid=10000, payment_reference="")
    boots_m = _styled("BOOT-M", 2000, style="BOOT")
    boots_s = _styled("BOOT-S", 1500, style="BOOT")
    lines = {
        "shirt": OrderLineFactory(order=order, product=_styled("SHIRT-M", 4000), unit_price=4000),
        "tee": OrderLineFactory(order=order, product=_styled("TEE-M", 3000), unit_price=3000),
        "boots": OrderLineFactory(order=order, product=boots_m, unit_price=2000),
    }
    items = [
        services.RequestedItem(
            lines[name].pk,
            1,
            reason,
            resolution=outcome,
            exchange_product_id=boots_s.pk if outcome == "exchange" and name == "boots" else None,
        )
        for name, outcome in wants.items()
    ]
    rr = services.return_create(order=order, items=items, by=Actor.customer())
    services.return_approve(return_request=rr, by=by)
    services.return_receive(return_request=rr, by=by)
    accept = accept or {}
    results = [
        services.ItemInspection(i.pk, "accepted", "new", "restock")
        if accept.get(i.order_line.sku, True)
        else services.ItemInspection(i.pk, "rejected", "used", "", "", "Worn.", "sent_back_our_cost")
        for i in rr.items.select_related("order_line")
    ]
    return services.return_inspect(return_request=rr, by=by, results=results)


@pytest.fixture
def boss(manager):
    return Actor.staff(manager)


def test_each_item_gets_its_own_outcome_in_one_step(boss):
    rr = _mixed_return(boss, {"shirt": "refund", "tee": "store_credit", "boots": "exchange"})
    assert rr.resolution == "mixed"
    assert rr.settlement_parts == {"refund": 4000, "store_credit": 3000, "exchange": 2000}
    with pytest.raises(ServiceError):  # one outcome for the whole return is not how this one is settled
        payments.return_issue_refund(return_request=rr, by=boss, reference=BANK)

    rr = payments.return_settle(return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-MIXED", reference=BANK)
    assert rr.status == "refund_pending"
    assert Refund.objects.get(return_request=rr).amount == 4000
    credit = StoreCredit.objects.get(return_request=rr)
    assert (credit.amount, credit.bonus) == (3000 + 300 + 500, 300)  # the bonus on the tee only; boots' $5 on top
    assert rr.exchange_order.lines.get().sku == "BOOT-S"
    position = money_rule.position_for(rr)
    assert position.order_given <= position.paid
    event = rr.events.get(transition="settle")
    assert "Refund of $40.00 recorded" in event.body and "Store credit of $35.00 plus a bonus of $3.00" in event.body
    told = event.data["customer_body"]
    assert "refunded $40.00" in told and "Store credit of $38.00" in told and "1Z-MIXED" in told


def test_without_a_refund_part_the_return_is_resolved_at_once(boss):
    rr = _mixed_return(boss, {"tee": "store_credit", "boots": "exchange"})
    rr = payments.return_settle(return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-TWO")
    assert rr.status == "resolved" and not Refund.objects.exists()


def test_an_exchange_needs_its_tracking_and_a_refusal_writes_nothing(boss):
    rr = _mixed_return(boss, {"shirt": "refund", "boots": "exchange"})
    with pytest.raises(ServiceError, match="tracking number"):
        payments.return_settle(return_request=rr, by=boss, reference=BANK)
    assert ReturnRequest.objects.get(pk=rr.pk).status == "inspected"
    assert not Refund.objects.exists() and not StoreCredit.objects.exists()


def test_a_rejected_item_takes_its_part_away(boss):
    rr = _mixed_return(boss, {"shirt": "refund", "tee": "store_credit"}, accept={"TEE-M": False})
    assert rr.settlement_parts == {"refund": 4000}
    rr = payments.return_settle(return_request=rr, by=boss, reference=BANK)
    assert rr.status == "refund_pending" and not StoreCredit.objects.exists()


def test_a_single_exchange_to_a_cheaper_size_gives_the_difference_back_as_credit(boss):
    rr = _mixed_return(boss, {"boots": "exchange"})
    assert rr.resolution == "exchange"
    rr = payments.return_ship_exchange(return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-CHEAP")
    credit = StoreCredit.objects.get(return_request=rr)
    assert (credit.amount, credit.bonus) == (500, 0)
    assert "difference" in rr.events.get(transition="ship_exchange").data["customer_body"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    wants=st.fixed_dictionaries(
        {
            "shirt": st.sampled_from(["refund", "store_credit", "exchange"]),
            "tee": st.sampled_from(["refund", "store_credit", "exchange"]),
        }
    ),
    reason=st.sampled_from(["damaged", "changed-mind"]),
    accepted=st.booleans(),
)
def test_settling_gives_each_part_exactly_once(boss, wants, reason, accepted):
    wants = {**wants, "boots": "exchange"}
    rr = _mixed_return(boss, wants, reason=reason, accept={"TEE-M": accepted})
    if rr.resolution != "mixed":
        return  # one outcome for all: the single-outcome paths, tested elsewhere
    parts = rr.settlement_parts
    assert sum(parts.values()) == rr.refund_amount
    rr = payments.return_settle(return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-PROP", reference=BANK)
    refunded = sum(Refund.objects.filter(return_request=rr).values_list("amount", flat=True))
    credit = list(StoreCredit.objects.filter(return_request=rr).values_list("amount", "bonus"))
    credited = sum(amount - bonus for amount, bonus in credit)
    # The money parts exactly once; replacements worth less than their part leave the rest as credit (ones
    # worth more, as when a fee came off the part, pass the money rule and the VA's limit like any exchange).
    cheaper_by = max(parts.get("exchange", 0) - (rr.exchange_value or 0), 0)
    assert refunded == parts.get("refund", 0)
    assert credited == parts.get("store_credit", 0) + cheaper_by
    position = money_rule.position_for(rr)
    assert position.remaining >= 0 and position.order_given <= position.paid


def test_the_customer_reads_what_each_item_became_in_one_email(boss, django_capture_on_commit_callbacks):
    rr = _mixed_return(boss, {"shirt": "refund", "tee": "store_credit", "boots": "exchange"})
    with django_capture_on_commit_callbacks(execute=True):
        rr = payments.return_settle(
            return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-MAIL", reference=BANK
        )
    email = OutboundEmail.objects.get(return_request=rr, kind="settled")
    credit = StoreCredit.objects.get(return_request=rr)
    for body in (email.text_body, email.html_body):
        assert "SHIRT-M: " in body and "TEE-M: " in body and "BOOT-M: " in body
        assert credit.code in body and "1Z-MAIL" in body and "$40.00" in body
    assert "- 1 × TEE-M: Store credit" in email.text_body
    assert "&amp;" not in email.text_body


def test_each_part_is_checked_against_what_the_parts_before_it_gave_back(boss):
    """The order paid $100.00 and another return of it already took $50.00 back. The $20.00 of replacements fit
    the $50.00 left; the $40.00 refund part would fit only if the replacements were not counted: it is refused,
    and the whole settlement writes nothing."""
    rr = _mixed_return(boss, {"shirt": "refund", "boots": "exchange"})  # parts: refund $40.00, exchange $20.00
    sibling = return_row_in_state("resolved", unit_price=5000, order=rr.order)
    StoreCredit.objects.create(
        email=rr.email, kind="issue", amount=5000, bonus=0, currency="USD", code="SC-SIBLING01", return_request=sibling
    )
    before = money_rule.position_for(rr)
    assert before.remaining < sum(rr.settlement_parts.values())  # the rule no longer leaves room for both parts
    with pytest.raises(ServiceError, match="Refusing to refund"):
        payments.return_settle(return_request=rr, by=boss, carrier="UPS", tracking_number="1Z-SQUEEZE", reference=BANK)
    rr.refresh_from_db()
    assert (rr.status, rr.exchange_order, rr.exchange_value) == ("inspected", None, None)
    assert not Refund.objects.filter(return_request=rr).exists()
