"""Chargebacks and the order's money: every open status blocks refunds, and what the bank holds back
(`funds_withdrawn`) is counted by the money rule so the same money is never given back twice.

Events go through the real path: signed with Stripe's scheme, stored by the webhook view, processed by
the task on commit. Their objects have the shape of Stripe's published `dispute` object.
"""

import datetime as dt

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionNotAllowed
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute, Refund, StripeEvent
from returns_desk.payments.money_rule import MoneyRuleRefused
from returns_desk.returns.models import Priority, ReturnRequest
from tests.factories import OrderFactory, return_in_state
from tests.support.stripe import signed

URL = "/webhooks/stripe/"
T0 = 1_700_000_000
DISPUTE_BLOCKS = "A payment dispute is open on this order"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Deliver a signed event as Stripe would; the processing queued on commit runs, as in production."""

    def deliver(payload):
        body, header = signed(payload)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        assert response.status_code == 200, response.content
        return response

    return deliver


def dispute_event(
    event_id: str,
    kind: str,
    *,
    status: str,
    created: int,
    amount: int = 9800,
    dispute_id: str = "dp_money",
    payment_intent: str = "pi_money",
    charge: str = "ch_money",
    reason: str = "fraudulent",
    withdrawn: bool = False,
    reinstated: bool = False,
) -> dict:
    """A Stripe event whose object is a dispute as Stripe publishes it (fields the desk ignores included)."""
    balance_transactions = []
    if withdrawn or reinstated:
        balance_transactions.append(
            {
                "id": f"txn_{dispute_id}_w",
                "object": "balance_transaction",
                "amount": -amount,
                "currency": "usd",
                "fee": 1500,
                "net": -amount - 1500,
                "reporting_category": "dispute",
                "type": "adjustment",
                "status": "available",
            }
        )
    if reinstated:
        balance_transactions.append(
            {
                "id": f"txn_{dispute_id}_r",
                "object": "balance_transaction",
                "amount": amount,
                "currency": "usd",
                "fee": 0,
                "net": amount,
                "reporting_category": "dispute_reversal",
                "type": "adjustment",
                "status": "available",
            }
        )
    obj = {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": balance_transactions,
        "charge": charge,
        "created": T0,
        "currency": "usd",
        "evidence": {"customer_name": None, "uncategorized_text": None},
        "evidence_details": {
            "due_by": T0 + 9 * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": reason,
        "status": status,
    }
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


@pytest.fixture
def paid_return(reference_data, webhook_secret):
    """An inspected return of a $98.00 order paid with pi_money, its settlement the whole $98.00."""
    order = OrderFactory(amount_paid=9800, payment_reference="pi_money")
    return return_in_state("inspected", unit_price=9800, order=order)


def fresh(rr: ReturnRequest) -> ReturnRequest:
    return ReturnRequest.objects.get(pk=rr.pk)


def dispute_news(rr: ReturnRequest) -> list[str]:
    return list(rr.events.filter(kind="dispute").order_by("id").values_list("body", flat=True))


def refund_in_full(rr: ReturnRequest, manager) -> ReturnRequest:
    # The order is not paid through Stripe in tests (no key), so the refund is a recorded manual one.
    return payments.return_issue_refund(return_request=fresh(rr), by=Actor.staff(manager), reference="BANK-1")


# --- every status that is not final blocks refunds ------------------------------------------------


@pytest.mark.parametrize("appeal", ["appeal_needs_response", "appeal_under_review"])
def test_an_appeal_blocks_refunds_again(post, paid_return, manager, appeal):
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0))
    post(dispute_event("evt_2", "charge.dispute.closed", status="lost", created=T0 + 100))
    post(dispute_event("evt_3", "charge.dispute.updated", status=appeal, created=T0 + 200))

    dispute = Dispute.objects.get(stripe_dispute_id="dp_money")
    assert (dispute.status, dispute.is_open) == (appeal, True)
    assert dispute.funds_withdrawn == 9800  # an appeal gives nothing back until it is won
    with pytest.raises(ActionNotAllowed, match=DISPUTE_BLOCKS):
        refund_in_full(paid_return, manager)
    assert not Refund.objects.exists()
    assert dispute_news(paid_return)[-1].endswith("Refunds are blocked again.")


def test_an_unknown_future_status_is_kept_as_given_and_blocks_refunds(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.created", status="won", created=T0))
    assert refund_in_full(paid_return, manager).status == "refund_pending"  # won: nothing blocks
    Refund.objects.all().delete()
    ReturnRequest.objects.filter(pk=paid_return.pk).update(status="inspected")

    post(dispute_event("evt_2", "charge.dispute.updated", status="pre_arbitration_pending", created=T0 + 100))

    dispute = Dispute.objects.get(stripe_dispute_id="dp_money")
    assert (dispute.status, dispute.is_open) == ("pre_arbitration_pending", True)
    assert fresh(paid_return).has_open_dispute()
    with pytest.raises(ActionNotAllowed, match=DISPUTE_BLOCKS):
        refund_in_full(paid_return, manager)
    assert StripeEvent.objects.get(stripe_event_id="evt_2").status == "processed"


def test_a_dispute_first_seen_with_a_new_status_is_open(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.created", status="pre_arbitration_pending", created=T0))
    dispute = Dispute.objects.get(stripe_dispute_id="dp_money")
    assert (dispute.status, dispute.is_open) == ("pre_arbitration_pending", True)
    assert "Refunds are blocked." in dispute_news(paid_return)[0]
    assert fresh(paid_return).priority == Priority.URGENT
    with pytest.raises(ActionNotAllowed, match=DISPUTE_BLOCKS):
        refund_in_full(paid_return, manager)


def test_an_event_without_a_status_keeps_the_one_we_had(post, paid_return):
    post(dispute_event("evt_1", "charge.dispute.closed", status="lost", created=T0))
    event = dispute_event("evt_2", "charge.dispute.updated", status="lost", created=T0 + 100)
    del event["data"]["object"]["status"]
    post(event)
    dispute = Dispute.objects.get(stripe_dispute_id="dp_money")
    assert (dispute.status, dispute.funds_withdrawn) == ("lost", 9800)


# --- what the bank holds back, and the order's money rule -----------------------------------------


def test_a_lost_dispute_takes_its_money_out_of_what_can_be_refunded(post, paid_return, manager):
    """A $30.00 chargeback on a $98.00 order: after the loss only $68.00 may still be given back."""
    assert money_rule.position_for(paid_return).remaining == 9800
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0, amount=3000))
    post(
        dispute_event(
            "evt_2",
            "charge.dispute.funds_withdrawn",
            status="needs_response",
            created=T0 + 1,
            amount=3000,
            withdrawn=True,
        )
    )
    post(dispute_event("evt_3", "charge.dispute.closed", status="lost", created=T0 + 500, amount=3000, withdrawn=True))

    dispute = Dispute.objects.get(stripe_dispute_id="dp_money")
    assert (dispute.status, dispute.funds_withdrawn) == ("lost", 3000)
    position = money_rule.position_for(fresh(paid_return))
    assert (position.withdrawn, position.remaining) == (3000, 6800)
    with pytest.raises(MoneyRuleRefused, match=r"only \$68\.00 can still be given back.*a chargeback took \$30\.00"):
        refund_in_full(paid_return, manager)
    assert not Refund.objects.exists()
    assert fresh(paid_return).status == "inspected"
    assert dispute_news(paid_return)[-1].startswith("Dispute closed: lost. The bank kept $30.00")


def test_funds_withdrawn_at_opening_are_counted_and_a_win_gives_the_room_back(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0))
    assert Dispute.objects.get().funds_withdrawn == 0
    post(dispute_event("evt_2", "charge.dispute.funds_withdrawn", status="needs_response", created=T0, withdrawn=True))
    assert Dispute.objects.get().funds_withdrawn == 9800
    assert money_rule.position_for(fresh(paid_return)).remaining == 0

    post(dispute_event("evt_3", "charge.dispute.closed", status="won", created=T0 + 900, withdrawn=True))
    post(dispute_event("evt_4", "charge.dispute.funds_reinstated", status="won", created=T0 + 901, reinstated=True))

    assert Dispute.objects.get().funds_withdrawn == 0
    assert money_rule.position_for(fresh(paid_return)).remaining == 9800
    assert refund_in_full(paid_return, manager).status == "refund_pending"
    assert Refund.objects.get().amount == 9800


def test_funds_reinstated_gives_the_room_back_but_an_open_dispute_still_blocks(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.funds_withdrawn", status="under_review", created=T0, withdrawn=True))
    assert money_rule.position_for(fresh(paid_return)).withdrawn == 9800
    post(
        dispute_event(
            "evt_2", "charge.dispute.funds_reinstated", status="under_review", created=T0 + 60, reinstated=True
        )
    )
    dispute = Dispute.objects.get()
    assert (dispute.funds_withdrawn, dispute.is_open) == (0, True)
    assert money_rule.position_for(fresh(paid_return)).remaining == 9800
    with pytest.raises(ActionNotAllowed, match=DISPUTE_BLOCKS):
        refund_in_full(paid_return, manager)


def test_a_win_alone_clears_the_funds_and_a_late_withdrawal_does_not_bring_them_back(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.funds_withdrawn", status="needs_response", created=T0, withdrawn=True))
    post(dispute_event("evt_3", "charge.dispute.closed", status="won", created=T0 + 900))
    post(dispute_event("evt_2", "charge.dispute.funds_withdrawn", status="under_review", created=T0 + 10))
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.funds_withdrawn) == ("won", 0)
    assert StripeEvent.objects.get(stripe_event_id="evt_2").status == "processed"
    assert refund_in_full(paid_return, manager).status == "refund_pending"


def test_a_late_update_does_not_undo_a_loss(post, paid_return):
    post(dispute_event("evt_2", "charge.dispute.closed", status="lost", created=T0 + 500))
    post(dispute_event("evt_1", "charge.dispute.updated", status="under_review", created=T0 + 100))
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.funds_withdrawn) == ("lost", 9800)
    assert money_rule.position_for(fresh(paid_return)).remaining == 0


# --- a dispute first seen already settled ---------------------------------------------------------


def test_first_seen_lost_is_recorded_as_lost_and_refunds_are_refused_by_the_money_rule(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.closed", status="lost", created=T0))

    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.is_open, dispute.funds_withdrawn) == ("lost", False, 9800)
    (news,) = dispute_news(paid_return)
    assert news.startswith("Chargeback of $98.00 recorded, already lost: the bank kept the money.")
    assert "Refunds are blocked" not in news and "opened" not in news
    rr = fresh(paid_return)
    assert rr.priority == Priority.NORMAL
    assert not rr.has_open_dispute()
    with pytest.raises(MoneyRuleRefused, match=r"a chargeback took \$98\.00"):
        refund_in_full(paid_return, manager)


def test_first_seen_won_is_recorded_as_won_and_does_not_block(post, paid_return, manager):
    post(dispute_event("evt_1", "charge.dispute.created", status="won", created=T0))

    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.is_open, dispute.funds_withdrawn) == ("won", False, 0)
    (news,) = dispute_news(paid_return)
    assert news.startswith("Chargeback of $98.00 recorded, already won: the money stays with the shop.")
    assert "Refunds are blocked" not in news
    assert fresh(paid_return).priority == Priority.NORMAL
    assert refund_in_full(paid_return, manager).status == "refund_pending"


def test_first_seen_open_says_refunds_are_blocked_and_raises_priority(post, paid_return):
    post(dispute_event("evt_1", "charge.dispute.funds_withdrawn", status="needs_response", created=T0, withdrawn=True))
    (news,) = dispute_news(paid_return)
    assert news.startswith("Chargeback opened for $98.00 (reason: fraudulent). Refunds are blocked.")
    assert "Stripe withdrew $98.00" in news
    assert fresh(paid_return).priority == Priority.URGENT
    assert Dispute.objects.get().funds_withdrawn == 9800


# --- payments the desk never saw ------------------------------------------------------------------


def test_a_dispute_about_a_charge_the_desk_never_saw_is_ignored_with_the_reason(post, paid_return):
    post(
        dispute_event(
            "evt_1",
            "charge.dispute.closed",
            status="lost",
            created=T0,
            dispute_id="dp_elsewhere",
            payment_intent="pi_elsewhere",
            charge="ch_elsewhere",
        )
    )
    event = StripeEvent.objects.get(stripe_event_id="evt_1")
    assert event.status == "ignored"
    assert event.error == (
        "dispute dp_elsewhere is about pi_elsewhere (charge ch_elsewhere) which no order of the desk was paid with"
    )
    assert event.processed_at is not None
    assert not Dispute.objects.exists()
    assert money_rule.position_for(fresh(paid_return)).withdrawn == 0
    assert dispute_news(paid_return) == []


def test_a_dispute_naming_only_an_unknown_charge_is_ignored_too(post, reference_data, webhook_secret):
    post(
        dispute_event(
            "evt_1", "charge.dispute.created", status="needs_response", created=T0, payment_intent="", charge="ch_x"
        )
    )
    event = StripeEvent.objects.get(stripe_event_id="evt_1")
    assert (event.status, event.error) == (
        "ignored",
        "dispute dp_money is about ch_x which no order of the desk was paid with",
    )


def test_a_dispute_event_processed_again_writes_no_second_news(reference_data):
    from returns_desk.payments.services import dispute_apply_stripe

    rr = return_in_state("inspected", order=OrderFactory(amount_paid=1000, payment_reference="pi_again"))
    obj = {
        "id": "dp_again",
        "payment_intent": "pi_again",
        "amount": 1000,
        "currency": "usd",
        "status": "needs_response",
    }
    when = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    for _ in range(2):
        dispute_apply_stripe(obj=obj, event_created=when, event_type="charge.dispute.created")
    assert rr.events.filter(kind="dispute").count() == 1
