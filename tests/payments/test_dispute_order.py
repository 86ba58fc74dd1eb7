"""Stripe stamps events to the second and may deliver them in any order. Events are ordered by that stamp and,
within one second, by the dispute's own life (awaiting a response, under review, closed last), so a late
"updated" stamped the same second as the "closed" before it never reopens the dispute.

Events go through the real path: signed, stored by the webhook view, processed by the task on commit.
"""

import json
import time

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionNotAllowed
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute, Refund, StripeEvent
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, return_in_state
from tests.payments.test_dispute_money import DISPUTE_BLOCKS, T0, dispute_event, dispute_news, fresh
from tests.support.stripe import signed


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    def deliver(payload):
        body, header = signed(payload)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )
        assert response.status_code == 200, response.content
        return response

    return deliver


@pytest.fixture
def paid_return(reference_data, webhook_secret):
    order = OrderFactory(amount_paid=9800, payment_reference="pi_money")
    return return_in_state("inspected", unit_price=9800, order=order)


def refund_in_full(rr: ReturnRequest, manager) -> ReturnRequest:
    return payments.return_issue_refund(return_request=fresh(rr), by=Actor.staff(manager), reference="BANK-1")


def the_dispute() -> Dispute:
    return Dispute.objects.get(stripe_dispute_id="dp_money")


@pytest.mark.parametrize("closed", ["won", "lost"])
def test_an_update_stamped_the_second_a_dispute_closed_and_arriving_after_never_reopens_it(
    post, paid_return, manager, closed
):
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0))
    post(dispute_event("evt_2", "charge.dispute.closed", status=closed, created=T0 + 100))
    news_before = dispute_news(paid_return)

    post(dispute_event("evt_3", "charge.dispute.updated", status="under_review", created=T0 + 100))

    dispute = the_dispute()
    assert (dispute.status, dispute.is_open) == (closed, False)
    assert dispute_news(paid_return) == news_before  # no "Refunds are blocked again."
    assert not fresh(paid_return).has_open_dispute()
    if closed == "won":
        assert refund_in_full(paid_return, manager).status == "refund_pending"
    else:
        assert dispute.funds_withdrawn == 9800  # the bank kept it; the late event gives nothing back


def test_in_one_second_the_closing_event_wins_whichever_arrives_first(post, paid_return):
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0))
    post(dispute_event("evt_2", "charge.dispute.updated", status="under_review", created=T0 + 100))
    post(dispute_event("evt_3", "charge.dispute.closed", status="won", created=T0 + 100))
    assert the_dispute().status == "won"


def test_in_one_second_a_dispute_awaiting_a_response_never_follows_one_under_review(post, paid_return):
    post(dispute_event("evt_1", "charge.dispute.created", status="needs_response", created=T0))
    post(dispute_event("evt_2", "charge.dispute.updated", status="under_review", created=T0 + 50))
    post(dispute_event("evt_3", "charge.dispute.funds_withdrawn", status="needs_response", created=T0 + 50))

    dispute = the_dispute()
    assert dispute.status == "under_review"
    assert dispute.funds_withdrawn == 9800  # what the late event says about the money still counts


def test_a_later_second_still_moves_a_closed_dispute_on(post, paid_return, manager):
    """Only the same second is ordered by status: an appeal a second after the loss reopens it, as Stripe says."""
    post(dispute_event("evt_1", "charge.dispute.closed", status="lost", created=T0))
    post(dispute_event("evt_2", "charge.dispute.updated", status="appeal_under_review", created=T0 + 1))
    assert (the_dispute().status, the_dispute().is_open) == ("appeal_under_review", True)
    with pytest.raises(ActionNotAllowed, match=DISPUTE_BLOCKS):
        refund_in_full(paid_return, manager)
    assert not Refund.objects.exists()


def test_an_earlier_second_arriving_late_changes_nothing(post, paid_return):
    post(dispute_event("evt_1", "charge.dispute.closed", status="won", created=T0 + 10))
    post(dispute_event("evt_2", "charge.dispute.updated", status="needs_response", created=T0 + 9))
    assert (the_dispute().status, the_dispute().funds_withdrawn) == ("won", 0)


# --- the webhook that delivers them: stale, replayed and malformed deliveries ---------------------


def test_a_year_old_signed_event_is_refused_and_a_replayed_one_is_stored_once(client, paid_return, settings):
    settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    event = dispute_event("evt_old", "charge.dispute.created", status="needs_response", created=T0)
    body, header = signed(event, timestamp=int(time.time()) - 365 * 86400)
    old = client.post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert old.status_code == 400 and "Signature check failed" in old.json()["error"]
    assert not StripeEvent.objects.exists() and not Dispute.objects.exists()

    body, header = signed(event)
    for expected in (False, True):
        answer = client.post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
        assert answer.json() == {"received": True, "duplicate": expected}
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize(
    "header",
    ["t=1700000000,v1=" + "é" * 64, "t=١٧٠٠٠٠٠٠٠٠,v1=abc", "v1=abc", "t=,v1=", "garbage"],
    ids=["accented_signature", "arabic_digits", "no_time", "empty_parts", "garbage"],
)
def test_a_malformed_stripe_signature_is_refused_with_a_reason_not_a_500(client, paid_return, header):
    client.raise_request_exception = False
    body = json.dumps(dispute_event("evt_bad", "charge.dispute.closed", status="won", created=T0))
    response = client.post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400 and "Signature check failed" in response.json()["error"]
    assert not StripeEvent.objects.exists()


def test_a_signed_body_whose_id_is_not_text_is_refused(client, paid_return):
    client.raise_request_exception = False
    body, header = signed({"id": {"not": "text"}, "type": "charge.dispute.closed", "created": T0})
    response = client.post("/webhooks/stripe/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400 and "not a Stripe event" in response.json()["error"]
    assert not StripeEvent.objects.exists()
