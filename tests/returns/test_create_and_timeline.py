import datetime as dt

import pytest
from django.utils import timezone

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.policies.models import ReturnPolicy
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, return_in_state


@pytest.fixture
def order(reference_data):
    order = OrderFactory(amount_paid=9000)
    OrderLineFactory(order=order, unit_price=3000, quantity=2)
    OrderLineFactory(order=order, unit_price=3000, quantity=1, final_sale=True)
    return order


def test_customer_opens_a_return_with_a_readable_rma_and_the_quote(order):
    line = order.lines.first()
    rr = services.return_create(
        order=order,
        by=Actor.customer(),
        items=[services.RequestedItem(line.pk, 1, "doesnt-fit", "Too tight")],
    )
    assert rr.rma_number == f"RMA-{rr.pk:06d}"
    assert rr.status == "requested"
    assert rr.quoted_amount == 3000 - 300 - 595  # 10 % restocking, return shipping paid by the customer
    event = rr.events.get()
    assert (event.kind, event.to_state, event.actor_kind) == ("transition", "requested", "customer")
    assert rr.items.get().condition_description == "Too tight"


def test_ineligible_line_is_refused_in_words_and_nothing_is_written(order):
    final_sale = order.lines.get(final_sale=True)
    with pytest.raises(ServiceError, match="Final sale items can't be returned."):
        services.return_create(
            order=order, by=Actor.customer(), items=[services.RequestedItem(final_sale.pk, 1, "changed-mind")]
        )
    assert not ReturnRequest.objects.exists()
    assert not ReturnItem.objects.exists()


def test_cannot_return_more_than_is_still_returnable(order):
    line = order.lines.first()
    services.return_create(order=order, by=Actor.customer(), items=[services.RequestedItem(line.pk, 1, "damaged")])
    with pytest.raises(ServiceError, match="you can return between 1 and 1"):
        services.return_create(order=order, by=Actor.customer(), items=[services.RequestedItem(line.pk, 2, "damaged")])
    assert ReturnRequest.objects.count() == 1


def test_window_closed_is_refused(reference_data):
    order = OrderFactory(
        placed_at=timezone.now() - dt.timedelta(days=70), delivered_at=timezone.now() - dt.timedelta(days=60)
    )
    line = OrderLineFactory(order=order)
    with pytest.raises(ServiceError, match="The return window closed on"):
        services.return_create(order=order, by=Actor.customer(), items=[services.RequestedItem(line.pk, 1, "damaged")])


def test_policy_auto_approval_is_done_by_the_system(order):
    ReturnPolicy.objects.update(auto_approve=True)
    line = order.lines.first()
    rr = services.return_create(order=order, by=Actor.customer(), items=[services.RequestedItem(line.pk, 1, "damaged")])
    assert rr.status == "approved"
    last = rr.events.order_by("id").last()
    assert (last.transition, last.actor_kind) == ("approve", "system")


def test_messages_and_notes_are_written_to_the_timeline(agent):
    rr = return_in_state("requested")
    services.return_add_message(return_request=rr, by=Actor.staff(agent), body="We're on it.")
    services.return_add_note(return_request=rr, by=Actor.staff(agent), body="Customer called twice.")
    kinds = list(rr.events.order_by("id").values_list("kind", "visible_to_customer"))
    assert kinds[-2:] == [("message", True), ("note", False)]
    with pytest.raises(ServiceError, match="Please give a message"):
        services.return_add_message(return_request=rr, by=Actor.customer(), body="   ")


def test_customer_cannot_write_internal_notes(reference_data):
    rr = return_in_state("requested")
    with pytest.raises(ServiceError):
        services.return_add_note(return_request=rr, by=Actor.customer(), body="hello")


def test_timeline_is_append_only(agent):
    rr = return_in_state("requested")
    event = rr.events.get()
    event.body = "rewritten"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        ReturnEvent.objects.filter(pk=event.pk).update(body="rewritten")
    with pytest.raises(TypeError):
        ReturnEvent.objects.filter(pk=event.pk).delete()
    assert ReturnEvent.objects.get(pk=event.pk).body == ""


def test_inspection_restocks_and_settles_the_refund(agent):
    rr = return_in_state("received", unit_price=2000, quantity=2)
    item = rr.items.get()
    stock_before = item.order_line.product.stock
    rr = services.return_inspect(
        return_request=rr,
        by=Actor.staff(agent),
        results=[services.ItemInspection(item.pk, "accepted", "like_new", "restock", "Tags on")],
    )
    item.refresh_from_db()
    item.order_line.product.refresh_from_db()
    assert item.order_line.product.stock == stock_before + 2
    assert (item.outcome, item.refundable_amount) == ("accepted", 4000)
    assert rr.refund_amount == 4000


def test_inspection_needs_every_item(agent):
    rr = return_in_state("received")
    with pytest.raises(ServiceError, match="every item"):
        services.return_inspect(return_request=rr, by=Actor.staff(agent), results=[])
    assert ReturnRequest.objects.get(pk=rr.pk).status == "received"


def test_rejected_items_do_not_count_towards_the_refund(agent):
    rr = return_in_state("received", unit_price=2000)
    item = rr.items.get()
    rr = services.return_inspect(
        return_request=rr,
        by=Actor.staff(agent),
        results=[
            services.ItemInspection(item.pk, "rejected", "damaged", "dispose", "Worn", "It came back worn.", "held")
        ],
    )
    assert rr.refund_amount == 0
    assert rr.items.get().customer_note == "It came back worn."
    with pytest.raises(ServiceError, match="nothing to refund"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(agent), reference="BANK-1")


@pytest.mark.parametrize("note,handling", [("", "held"), ("   ", "held"), ("Worn.", ""), ("Worn.", "bogus")])
def test_an_item_not_accepted_needs_words_for_the_customer_and_what_happens_to_it(agent, note, handling):
    rr = return_in_state("received", unit_price=2000)
    item = rr.items.get()
    with pytest.raises(ServiceError):
        services.return_inspect(
            return_request=rr,
            by=Actor.staff(agent),
            results=[services.ItemInspection(item.pk, "wrong_item", "", "", "", note, handling)],
        )
    assert ReturnRequest.objects.get(pk=rr.pk).status == "received"
    assert rr.items.get().outcome == ""


def test_an_accepted_item_keeps_no_customer_reason(agent):
    rr = return_in_state("received", unit_price=2000)
    item = rr.items.get()
    services.return_inspect(
        return_request=rr,
        by=Actor.staff(agent),
        results=[services.ItemInspection(item.pk, "accepted", "new", "restock", "", "stray words", "held")],
    )
    item.refresh_from_db()
    assert (item.customer_note, item.rejected_handling) == ("", "")
