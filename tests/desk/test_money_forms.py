"""What a VA types into the money forms: checked when typed, bounded by what remains, above the limit sent to a
manager, and a denial that leaves the inspected settlement where it was."""

import pytest

from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.policies.models import ReturnPolicy
from returns_desk.returns.models import ReturnRequest
from tests.desk.test_ticket import act, offered
from tests.factories import OrderFactory, return_in_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("12.345", "at most two decimals"),
        ("twelve", "Enter the amount in figures, like 12.50."),
        ("999999999999", "At most $40.00 can still be given back for this return (order paid $40.00)."),
        ("40.01", "At most $40.00 can still be given back"),
    ],
)
def test_absurd_amounts_are_refused_in_the_page_and_change_nothing(client, agent, typed, message):
    rr = return_in_state("inspected", unit_price=4000)
    client.force_login(agent)
    for action in ("issue_refund", "issue_store_credit"):
        page = act(client, rr, action, {"amount": typed, "override_reason": "Customer asked.", "reference": "B-1"})
        assert page.status_code == 400
        text = page.content.decode()
        assert message in text
        assert f'value="{typed}"' in text  # what was typed is kept beside the message
    assert not Refund.objects.exists() and not StoreCredit.objects.exists()
    assert ReturnRequest.objects.get(pk=rr.pk).status == "inspected"


def test_the_form_shows_what_remains_next_to_the_amount(client, agent):
    order = OrderFactory(amount_paid=6000)
    first = return_in_state("inspected", unit_price=4000, order=order)
    second = return_in_state("inspected", unit_price=4000, order=order)
    client.force_login(agent)
    act(client, first, "issue_refund", {"amount": "40.00", "reference": "B-1"})
    page = client.get(f"{second.get_absolute_url()}?open=issue_refund").content.decode()
    assert "At most $20.00 can still be given back for this return." in page
    refused = act(client, second, "issue_refund", {"amount": "40.00", "reference": "B-2"}).content.decode()
    assert "At most $20.00 can still be given back" in refused


def test_store_credit_above_the_limit_goes_to_a_manager_with_the_outcome(client, agent, manager):
    rr = return_in_state("inspected", unit_price=19000)  # $190 + 10% bonus = $209 > the $200 limit
    client.force_login(agent)
    response = act(client, rr, "issue_store_credit", {"amount": "190.00"}, follow=True)
    assert (
        "Sent to a manager for approval: Store credit of $190.00 (plus its bonus) is above your limit of $200.00 "
        "($209.00 in all)." in response.content.decode()
    )
    rr.refresh_from_db()
    assert (rr.status, rr.requested_outcome, rr.requested_amount) == ("awaiting_approval", "store_credit", 19000)
    assert not StoreCredit.objects.exists()
    client.force_login(manager)
    act(client, rr, "approve_refund", {})
    entry = StoreCredit.objects.get(return_request=rr)
    assert (entry.amount, entry.bonus) == (20900, 1900)
    rr.refresh_from_db()
    assert rr.status == "resolved"
    approved = rr.events.get(transition="approve_refund")
    assert "Approved store credit asked by Ana" in approved.body and "no limit applies" in approved.body


def test_denial_restores_the_settlement_and_prefills_the_next_form(client, agent, manager):
    rr = return_in_state("inspected", unit_price=26315)
    client.force_login(agent)
    act(client, rr, "issue_refund", {"amount": "263.15", "reference": "B-1"})
    rr.refresh_from_db()
    assert rr.status == "awaiting_approval" and rr.requested_amount == 26315
    client.force_login(manager)
    queue = client.get("/desk/?queue=approvals").content.decode()
    for figure in ("Refund $263.15", "by Ana", "Settled at inspection", "$263.15", "Still refundable"):
        assert figure in queue
    ticket = client.get(rr.get_absolute_url()).content.decode()
    assert "decision is needed" in ticket and "Paid" in ticket
    act(client, rr, "deny_refund", {"reason": "Offer store credit instead."})
    rr.refresh_from_db()
    assert (rr.status, rr.refund_amount) == ("inspected", 26315)
    client.force_login(agent)
    page = client.get(f"{rr.get_absolute_url()}?open=issue_refund").content.decode()
    assert 'value="263.15"' in page and "Settled at inspection: $263.15" in page
    denied = rr.events.get(transition="deny_refund")
    assert "Morgan denied refund of $263.15 asked by Ana: Offer store credit instead." in denied.body


def test_override_above_the_limit_asks_with_the_reason_and_the_manager_sees_it(client, agent, manager):
    rr = return_in_state("inspected", unit_price=30000)
    client.force_login(agent)
    act(client, rr, "issue_refund", {"amount": "250.00", "override_reason": "Scuffed heel.", "reference": "B-1"})
    rr.refresh_from_db()
    assert (rr.requested_amount, rr.requested_reason, rr.refund_amount) == (25000, "Scuffed heel.", 30000)
    client.force_login(manager)
    queue = client.get("/desk/?queue=approvals").content.decode()
    assert "Refund $250.00" in queue and "Reason: Scuffed heel." in queue


def test_after_a_failed_refund_retry_credit_and_asking_a_manager_are_offered(client, agent):
    rr = return_in_state("refund_failed")
    client.force_login(agent)
    choices = offered(client, rr)
    assert {"retry_refund", "issue_store_credit", "request_refund_approval"} <= set(choices)
    asked = act(client, rr, "request_refund_approval", {"requested_outcome": "refund", "amount": "10.00"})
    assert asked.status_code == 302
    rr.refresh_from_db()
    assert (rr.status, rr.requested_outcome, rr.requested_from) == ("awaiting_approval", "refund", "refund_failed")


def test_a_policy_edit_does_not_reprice_a_return_in_flight(client, agent):
    rr = return_in_state("received", unit_price=5000, reason="changed-mind")
    ReturnPolicy.objects.filter(is_active=True).update(restocking_fee_percent=50, store_credit_bonus_percent=30)
    client.force_login(agent)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert "The active policy has changed since; this return keeps the terms it was quoted under." in page
    from returns_desk.core.actors import Actor
    from returns_desk.returns import services

    item = rr.items.get()
    services.return_inspect(
        return_request=rr,
        by=Actor.staff(agent),
        results=[services.ItemInspection(item.pk, "accepted", "like_new", "restock")],
    )
    rr.refresh_from_db()
    quoted = rr.quoted_terms().terms
    expected_fee = round(5000 * quoted.restocking_fee_percent / 100)
    assert quoted.restocking_fee_percent != 50
    assert rr.refund_amount == 5000 - expected_fee - min(quoted.return_shipping_fee, 5000 - expected_fee)


def test_the_approvals_queue_reads_the_money_figures_in_a_fixed_number_of_queries(client, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    return_in_state("awaiting_approval")
    client.get("/desk/?queue=approvals")  # the queue counts are cached for a few seconds: warm them first
    with CaptureQueriesContext(connection) as few:
        client.get("/desk/?queue=approvals")
    for _ in range(12):
        return_in_state("awaiting_approval", order=OrderFactory(amount_paid=1000))
    with CaptureQueriesContext(connection) as many:
        page = client.get("/desk/?queue=approvals").content.decode()
    assert page.count('class="approval-row"') == 13
    assert len(many) == len(few)


def test_a_request_for_store_credit_is_approved_or_denied_by_name_and_the_va_hears_of_a_denial(client, agent, manager):
    rr = return_in_state("inspected", unit_price=26315)
    client.force_login(agent)
    form = client.get(f"{rr.get_absolute_url()}?open=issue_store_credit").content.decode()
    assert "Your limit is $200.00: above it this asks a manager" in form
    sent = act(
        client, rr, "issue_store_credit", {"amount": "263.15", "override_reason": "Loyal customer."}, follow=True
    )
    assert (
        "Sent to a manager for approval: Store credit of $263.15 (plus its bonus) is above your limit of $200.00 "
        "($289.47 in all)." in sent.content.decode()
    )
    client.force_login(manager)
    ticket = client.get(rr.get_absolute_url()).content.decode()
    assert "Approve store credit" in ticket and "Deny store credit" in ticket and "Approve refund" not in ticket
    act(client, rr, "deny_refund", {"reason": "A refund is what they asked for."})
    client.force_login(agent)
    again = client.get(rr.get_absolute_url()).content.decode()
    assert "A manager said no" in again and "A refund is what they asked for." in again


def test_the_ticket_judges_eligibility_as_of_the_request(client, agent):
    import datetime as dt

    from returns_desk.core import clock

    rr = return_in_state("inspected")
    client.force_login(agent)
    with clock.frozen_at(clock.now() + dt.timedelta(days=400)):  # the window closed long since
        page = client.get(rr.get_absolute_url()).content.decode()
    assert "The return window closed" not in page and "returnable" in page
