"""The ticket page's forms: every transition through its service, refusals shown with the text kept."""

import re

import pytest
from django.test import Client

from returns_desk.core.actors import Actor
from returns_desk.desk.models import CannedResponse
from returns_desk.notifications.models import OutboundEmail
from returns_desk.orders.models import Product
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from returns_desk.staff.models import StaffProfile
from tests.factories import OrderFactory, OrderLineFactory, ProductFactory, return_in_state

pytestmark = pytest.mark.django_db


def act(client, rr, action, data=None, **kwargs):
    payload = {f"{action}-{k}": v for k, v in (data or {}).items()}
    return client.post(f"/desk/returns/{rr.pk}/act/{action}/", payload, **kwargs)


def offered(client, rr) -> list[str]:
    page = client.get(rr.get_absolute_url())
    return [a.name for a, _ in page.context["actions"]]


def test_only_the_transitions_this_user_may_run_now_are_offered(client, agent, manager):
    client.force_login(agent)
    assert offered(client, return_in_state("requested")) == ["approve", "request_info", "reject", "cancel"]
    assert offered(client, return_in_state("received")) == ["inspect"]
    assert offered(client, return_in_state("awaiting_approval")) == []  # managers decide
    client.force_login(manager)
    assert offered(client, return_in_state("awaiting_approval")) == ["approve_refund", "deny_refund"]


def test_approve_from_the_ticket(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    response = act(client, rr, "approve", follow=True)
    assert "Approved." in response.content.decode()
    rr.refresh_from_db()
    assert rr.status == "approved"
    assert OutboundEmail.objects.filter(return_request=rr, kind="approved").exists()


def test_a_second_agents_stale_action_is_refused_politely_with_the_text_kept(agent, second_agent):
    rr = return_in_state("requested")
    ana, ben = Client(), Client()
    ana.force_login(agent)
    ben.force_login(second_agent)
    ben.get(rr.get_absolute_url())  # Ben opens the ticket, starts typing a rejection…
    act(ana, rr, "approve")  # …while Ana approves it
    response = act(ben, rr, "reject", {"reason": "The photos show heavy wear."})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Reject is no longer possible: the return is now Approved (approved by Ana at" in html
    assert "The photos show heavy wear.</textarea>" in html
    stale_approve = act(ben, rr, "approve")
    assert stale_approve.status_code == 409
    assert "Already approved by Ana at" in stale_approve.content.decode()
    assert ReturnEvent.objects.filter(return_request=rr, transition="approve").count() == 1


def test_a_required_field_left_empty_is_shown_next_to_it(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    response = act(client, rr, "reject", {"reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<div id="id_reject-reason_error"><p class="error">This field is required.' in page
    assert re.search(r'<textarea[^>]*aria-describedby="id_reject-reason_error"', page)
    rr.refresh_from_db()
    assert rr.status == "requested"


def test_a_canned_response_fills_its_placeholders_and_can_ask_the_customer(client, agent):
    rr = return_in_state("requested")
    ReturnRequest.objects.filter(pk=rr.pk).update(customer_name="Casey Jones")
    canned = CannedResponse.objects.create(
        title="Ask for photos",
        body="Hi {first_name}, could you send photos of the damage for {rma} (order {order_number})?",
        action=CannedResponse.Action.REQUEST_INFO,
    )
    client.force_login(agent)
    page = client.get(f"{rr.get_absolute_url()}?canned={canned.pk}").content.decode()
    text = f"Hi Casey, could you send photos of the damage for {rr.rma_number} (order {rr.order.number})?"
    assert f"{text}</textarea>" in page
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "reply", "body": text, "canned": canned.pk})
    rr.refresh_from_db()
    assert rr.status == "needs_info"
    assert rr.events.get(transition="request_info").body == text
    assert OutboundEmail.objects.filter(return_request=rr, kind="info_requested").count() == 1


def test_a_reply_reaches_the_customer_and_a_note_does_not(client, agent):
    rr = return_in_state("approved")
    client.force_login(agent)
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "reply", "body": "Your label is attached again."})
    client.post(f"/desk/returns/{rr.pk}/reply/", {"kind": "note", "body": "Customer called, sounded upset."})
    message = rr.events.get(kind="message")
    note = rr.events.get(kind="note")
    assert message.visible_to_customer and not note.visible_to_customer
    email = OutboundEmail.objects.get(return_request=rr, kind="desk_message")
    assert "Your label is attached again." in email.text_body
    status = client.get(f"/returns/status/{rr.customer_token}/").content.decode()
    assert "Your label is attached again." in status and "sounded upset" not in status


def test_inspecting_two_items_one_rejected_settles_the_accepted_one_and_restocks_it(client, agent):
    product = ProductFactory(stock=2)
    order = OrderFactory(amount_paid=5000)
    good = OrderLineFactory(order=order, product=product, unit_price=3000)
    worn = OrderLineFactory(order=order, unit_price=2000)
    rr = services.return_create(
        order=order,
        items=[services.RequestedItem(good.pk, 1, "damaged"), services.RequestedItem(worn.pk, 1, "damaged")],
        by=Actor.customer(),
    )
    staff = Actor.staff(agent)
    services.return_approve(return_request=rr, by=staff)
    services.return_receive(return_request=rr, by=staff)
    first, second = rr.items.order_by("id")
    client.force_login(agent)
    data = {
        f"outcome_{first.pk}": "accepted",
        f"grade_{first.pk}": "like_new",
        f"disposition_{first.pk}": "restock",
        f"outcome_{second.pk}": "rejected",
        f"grade_{second.pk}": "used",
        f"note_{second.pk}": "Worn, tags removed.",
        f"customer_note_{second.pk}": "It came back worn with the tags removed.",
        f"rejected_handling_{second.pk}": "sent_back_your_cost",
    }
    missing = act(client, rr, "inspect", {**data, f"disposition_{first.pk}": ""})
    assert missing.status_code == 400 and "Say what happens to an accepted item." in missing.content.decode()
    unexplained = act(
        client, rr, "inspect", {**data, f"customer_note_{second.pk}": " ", f"rejected_handling_{second.pk}": ""}
    )
    assert unexplained.status_code == 400
    assert "Tell the customer why the item was not accepted." in unexplained.content.decode()
    assert "Say what happens to the item." in unexplained.content.decode()
    assert ReturnRequest.objects.get(pk=rr.pk).status == "received"  # nothing written
    act(client, rr, "inspect", data)
    rr.refresh_from_db()
    assert (rr.status, rr.refund_amount) == ("inspected", 3000)
    rejected = rr.items.get(pk=second.pk)
    assert (rejected.customer_note, rejected.rejected_handling, rejected.inspection_note) == (
        "It came back worn with the tags removed.",
        "sent_back_your_cost",
        "Worn, tags removed.",
    )
    assert Product.objects.get(pk=product.pk).stock == 3


def test_a_refund_within_the_limit_is_sent(client, agent):
    rr = return_in_state("inspected", unit_price=4000)
    client.force_login(agent)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert 'value="40.00"' in page  # pre-filled from the inspection
    changed = act(client, rr, "issue_refund", {"amount": "35.00", "override_reason": "", "reference": "BANK-1"})
    assert "Say why the amount differs from $40.00." in changed.content.decode()
    no_reference = act(client, rr, "issue_refund", {"amount": "35.00", "override_reason": "Missing belt."})
    assert "This field is required." in no_reference.content.decode()  # a manual refund is recorded, not sent
    act(
        client,
        rr,
        "issue_refund",
        {"amount": "35.00", "override_reason": "Missing belt, agreed with customer.", "reference": "BANK-1"},
    )
    rr.refresh_from_db()
    assert rr.status == "refund_pending" and rr.refunds.get().amount == 3500


def test_a_refund_above_the_agents_limit_goes_to_a_manager_who_approves_it(client, agent, manager):
    StaffProfile.objects.create(user=agent, refund_limit=5000)
    rr = return_in_state("inspected", unit_price=12000)
    client.force_login(agent)
    response = act(client, rr, "issue_refund", {"amount": "120.00", "reference": "BANK-7"}, follow=True)
    assert "Sent to a manager for approval: Refund of $120.00 is above your limit of $50.00." in (
        response.content.decode()
    )
    rr.refresh_from_db()
    assert rr.status == "awaiting_approval" and not rr.refunds.exists()
    client.force_login(manager)
    queue = client.get("/desk/?queue=approvals")
    assert rr.rma_number in queue.content.decode()
    act(client, rr, "approve_refund", {"reference": "BANK-7"})
    rr.refresh_from_db()
    assert rr.status == "refund_pending" and rr.refunds.get().amount == 12000


def test_unknown_action_is_a_404_and_get_is_refused(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    assert client.post(f"/desk/returns/{rr.pk}/act/explode/").status_code == 404
    assert client.get(f"/desk/returns/{rr.pk}/act/approve/").status_code == 405


def test_closed_action_panels_load_their_form_when_opened_with_or_without_javascript(client, agent):
    rr = return_in_state("requested")
    client.force_login(agent)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert 'name="reject-reason"' not in page  # only the first action's form is built
    assert 'href="?open=reject#action-reject"' in page
    fragment = client.get(f"/desk/returns/{rr.pk}/action-form/reject/", HTTP_HX_REQUEST="true")
    assert 'name="reject-reason"' in fragment.content.decode() and b"<html" not in fragment.content
    plain = client.get(f"/desk/returns/{rr.pk}/action-form/reject/")
    assert plain.status_code == 302 and plain["Location"].endswith("?open=reject#action-reject")
    opened = client.get(f"{rr.get_absolute_url()}?open=reject").content.decode()
    assert 'name="reject-reason"' in opened
    gone = client.get(f"/desk/returns/{rr.pk}/action-form/inspect/", HTTP_HX_REQUEST="true")
    assert gone.status_code == 409 and "no longer possible" in gone.content.decode()


def test_a_return_asking_item_by_item_is_settled_from_its_ticket(client, manager):
    """Each item asked for its own outcome: the ticket says which, offers `Settle each item` (and not the
    single-outcome actions), and settling records the refund and the credit together."""
    order = OrderFactory(amount_paid=7500, payment_reference="")  # $5.00 of shipping: room for the bonus
    shirt = OrderLineFactory(order=order, unit_price=4000)
    tee = OrderLineFactory(order=order, unit_price=3000)
    staff = Actor.staff(manager)
    rr = services.return_create(
        order=order,
        items=[
            services.RequestedItem(shirt.pk, 1, "damaged", resolution="refund"),
            services.RequestedItem(tee.pk, 1, "damaged", resolution="store_credit"),
        ],
        by=Actor.customer(),
    )
    services.return_approve(return_request=rr, by=staff)
    services.return_receive(return_request=rr, by=staff)
    results = [services.ItemInspection(i.pk, "accepted", "new", "restock") for i in rr.items.all()]
    services.return_inspect(return_request=rr, by=staff, results=results)
    client.force_login(manager)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert "Asks for: <strong>Refund to original payment</strong>" in page
    assert "Asks for: <strong>Store credit</strong>" in page
    actions = offered(client, rr)
    assert "settle" in actions and not {"issue_refund", "issue_store_credit", "ship_exchange"} & set(actions)
    missing = act(client, rr, "settle", {})
    assert missing.status_code == 400 and "This field is required." in missing.content.decode()
    act(client, rr, "settle", {"reference": "BANK-9"})
    rr.refresh_from_db()
    assert rr.refunds.get().amount == 4000 and rr.store_credits.get().amount == 3000 + 300
