"""Stripe webhooks, signed with Stripe's scheme: verified, stored once, processed idempotently."""

import time

import pytest

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute, Refund, StripeEvent
from returns_desk.returns.models import Priority, ReturnRequest
from tests.factories import OrderFactory, return_in_state
from tests.support.stripe import signed

URL = "/webhooks/stripe/"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """Deliver a signed event as Stripe would; work queued on commit (processing) runs, as in production."""

    def deliver(payload, **sign_options):
        body, header = signed(payload, **sign_options)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    return deliver


def refund_event(
    event_id: str,
    kind: str,
    refund: Refund,
    status: str,
    *,
    created: int = 1_700_000_000,
    failure_reason: str | None = None,
) -> dict:
    obj = {
        "id": refund.provider_refund_id or "re_123",
        "object": "refund",
        "amount": refund.amount,
        "currency": "usd",
        "status": status,
        "failure_reason": failure_reason,
        "metadata": {"idempotency_key": refund.idempotency_key},
    }
    return {"id": event_id, "object": "event", "type": kind, "created": created, "data": {"object": obj}}


@pytest.fixture
def pending_refund(reference_data, settings):
    """A refund sent to Stripe, which answered "pending" with its id (the send task's first answer)."""
    settings.STRIPE_SECRET_KEY = "sk_test_returns_desk"  # the order was paid through Stripe
    order = OrderFactory(amount_paid=3000, payment_reference="pi_webhook_1")
    rr = return_in_state("refund_pending", unit_price=3000, order=order)
    refund = rr.refunds.get()
    return payments.refund_record_outcome(
        refund_id=refund.pk, status="pending", by=Actor.stripe(), provider_refund_id="re_webhook_1"
    )


def test_signed_refund_success_resolves_the_return(client, post, webhook_secret, pending_refund):
    response = post(refund_event("evt_1", "refund.updated", pending_refund, "succeeded"))
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    pending_refund.refresh_from_db()
    assert pending_refund.status == "succeeded"
    rr = ReturnRequest.objects.get(pk=pending_refund.return_request_id)
    assert rr.status == "resolved"
    last = rr.events.filter(kind="transition").order_by("id").last()
    assert (last.transition, last.actor_kind) == ("refund_succeeded", "stripe")
    assert StripeEvent.objects.get(stripe_event_id="evt_1").status == "processed"


def test_tampered_body_is_refused_and_nothing_is_stored(client, post, webhook_secret, pending_refund):
    body, header = signed(refund_event("evt_2", "refund.updated", pending_refund, "succeeded"))
    tampered = body.replace(b'"amount": 3000', b'"amount": 9000')
    response = client.post(URL, tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert "Signature check failed" in response.json()["error"]
    assert not StripeEvent.objects.exists()
    assert Refund.objects.get(pk=pending_refund.pk).status == "pending"


def test_missing_or_foreign_signature_is_refused(client, post, webhook_secret, pending_refund):
    payload = refund_event("evt_3", "refund.updated", pending_refund, "succeeded")
    body, _ = signed(payload)
    assert client.post(URL, body, content_type="application/json").status_code == 400
    foreign = post(payload, secret="whsec_someone_else")
    assert foreign.status_code == 400
    assert not StripeEvent.objects.exists()


def test_replayed_old_event_is_refused(client, post, webhook_secret, pending_refund):
    response = post(
        refund_event("evt_4", "refund.updated", pending_refund, "succeeded"), timestamp=int(time.time()) - 3600
    )
    assert response.status_code == 400
    assert "too old" in response.json()["error"].lower() or "tolerance" in response.json()["error"].lower()
    assert not StripeEvent.objects.exists()


def test_without_a_configured_secret_nothing_is_trusted(client, post, settings, pending_refund):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = post(refund_event("evt_5", "refund.updated", pending_refund, "succeeded"))
    assert response.status_code == 400
    assert "STRIPE_WEBHOOK_SECRET is not set" in response.json()["error"]


def test_duplicate_delivery_is_acknowledged_and_changes_nothing(client, post, webhook_secret, pending_refund):
    payload = refund_event("evt_6", "refund.updated", pending_refund, "succeeded")
    assert post(payload).json()["duplicate"] is False
    again = post(payload)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert StripeEvent.objects.filter(stripe_event_id="evt_6").count() == 1
    rr = ReturnRequest.objects.get(pk=pending_refund.return_request_id)
    assert rr.events.filter(transition="refund_succeeded").count() == 1


def test_same_news_in_two_events_is_applied_once(client, post, webhook_secret, pending_refund):
    post(refund_event("evt_7a", "refund.updated", pending_refund, "succeeded"))
    post(refund_event("evt_7b", "charge.refund.updated", pending_refund, "succeeded"))
    rr = ReturnRequest.objects.get(pk=pending_refund.return_request_id)
    assert rr.events.filter(transition="refund_succeeded").count() == 1


def test_out_of_order_events_never_move_a_refund_back(client, post, webhook_secret, pending_refund):
    post(refund_event("evt_8b", "refund.updated", pending_refund, "succeeded", created=1_700_000_100))
    post(refund_event("evt_8a", "refund.created", pending_refund, "pending", created=1_700_000_000))
    pending_refund.refresh_from_db()
    assert pending_refund.status == "succeeded"
    assert ReturnRequest.objects.get(pk=pending_refund.return_request_id).status == "resolved"


def test_failed_refund_goes_back_to_the_queue_with_stripes_reason(client, post, webhook_secret, pending_refund, agent):
    post(refund_event("evt_9", "refund.failed", pending_refund, "failed", failure_reason="expired_or_canceled_card"))
    rr = ReturnRequest.objects.get(pk=pending_refund.return_request_id)
    assert rr.status == "refund_failed"
    client.force_login(agent)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert "The card has expired or was cancelled" in page


def test_requires_action_is_visible_on_the_ticket(client, post, webhook_secret, pending_refund, agent):
    post(refund_event("evt_10", "refund.updated", pending_refund, "requires_action"))
    pending_refund.refresh_from_db()
    assert pending_refund.status == "requires_action"
    rr = ReturnRequest.objects.get(pk=pending_refund.return_request_id)
    assert rr.status == "refund_pending"
    client.force_login(agent)
    assert "Stripe needs action before this refund can complete" in client.get(rr.get_absolute_url()).content.decode()


def test_charge_refunded_carries_its_refunds(client, post, webhook_secret, pending_refund):
    refund_obj = refund_event("x", "x", pending_refund, "succeeded")["data"]["object"]
    payload = {
        "id": "evt_11",
        "type": "charge.refunded",
        "created": 1_700_000_000,
        "data": {"object": {"id": "ch_1", "object": "charge", "refunds": {"data": [refund_obj]}}},
    }
    post(payload)
    assert Refund.objects.get(pk=pending_refund.pk).status == "succeeded"


def test_a_refund_matched_by_our_key_when_we_never_saved_stripes_id(client, post, webhook_secret, pending_refund):
    Refund.objects.filter(pk=pending_refund.pk).update(provider_refund_id="")
    pending_refund.provider_refund_id = "re_new_from_stripe"
    post(refund_event("evt_12", "refund.updated", pending_refund, "succeeded"))
    refund = Refund.objects.get(pk=pending_refund.pk)
    assert (refund.status, refund.provider_refund_id) == ("succeeded", "re_new_from_stripe")


def test_unknown_events_and_foreign_refunds_are_harmless(client, post, webhook_secret, pending_refund):
    post({"id": "evt_13", "type": "customer.created", "created": 1, "data": {"object": {"id": "cus_1"}}})
    post(
        {
            "id": "evt_14",
            "type": "refund.updated",
            "created": 1,
            "data": {"object": {"id": "re_elsewhere", "status": "succeeded", "metadata": {}}},
        }
    )
    assert dict(StripeEvent.objects.values_list("stripe_event_id", "status")) == {
        "evt_13": "ignored",
        "evt_14": "ignored",
    }
    assert Refund.objects.get(pk=pending_refund.pk).status == "pending"


# --- disputes -------------------------------------------------------------------------------------


def dispute_event(
    event_id: str,
    kind: str,
    *,
    status: str,
    created: int,
    payment_intent: str = "pi_disputed",
    due_by: int = 1_900_000_000,
) -> dict:
    obj = {
        "id": "dp_1",
        "object": "dispute",
        "amount": 5000,
        "currency": "usd",
        "charge": "ch_disputed",
        "payment_intent": payment_intent,
        "reason": "product_not_received",
        "status": status,
        "evidence_details": {"due_by": due_by},
    }
    return {"id": event_id, "type": kind, "created": created, "data": {"object": obj}}


@pytest.fixture
def disputed_return(reference_data):
    order = OrderFactory(amount_paid=5000, payment_reference="pi_disputed")
    return return_in_state("inspected", unit_price=5000, order=order)


def test_dispute_opens_blocks_refunds_and_is_on_the_timeline(client, post, webhook_secret, disputed_return, manager):
    post(dispute_event("evt_d1", "charge.dispute.created", status="needs_response", created=1_700_000_000))
    dispute = Dispute.objects.get(stripe_dispute_id="dp_1")
    assert (dispute.order_id, dispute.return_request_id, dispute.is_open) == (
        disputed_return.order_id,
        disputed_return.pk,
        True,
    )
    assert dispute.evidence_due_by.timestamp() == 1_900_000_000
    rr = ReturnRequest.objects.get(pk=disputed_return.pk)
    assert rr.priority == Priority.URGENT
    assert "Chargeback opened for $50.00" in rr.events.filter(kind="dispute").get().body
    with pytest.raises(ServiceError, match="A payment dispute is open on this order"):
        payments.return_issue_refund(return_request=rr, by=Actor.staff(manager), reference="BANK-1")
    client.force_login(manager)
    page = client.get(rr.get_absolute_url()).content.decode()
    assert "Chargeback open" in page and "Evidence due" in page


def test_dispute_closing_unblocks_refunds_and_late_events_are_ignored(
    client, post, webhook_secret, disputed_return, manager
):
    post(dispute_event("evt_d1", "charge.dispute.created", status="needs_response", created=1_700_000_000))
    post(dispute_event("evt_d3", "charge.dispute.closed", status="won", created=1_700_000_300))
    post(dispute_event("evt_d2", "charge.dispute.updated", status="under_review", created=1_700_000_200))
    dispute = Dispute.objects.get(stripe_dispute_id="dp_1")
    assert dispute.status == "won"
    rr = payments.return_issue_refund(return_request=disputed_return, by=Actor.staff(manager), reference="BANK-1")
    assert rr.status == "refund_pending"
    bodies = list(disputed_return.events.filter(kind="dispute").values_list("body", flat=True))
    assert bodies[-1] == "Dispute closed: won."


def test_funds_withdrawn_and_reinstated_are_recorded(client, post, webhook_secret, disputed_return):
    post(dispute_event("evt_d1", "charge.dispute.created", status="needs_response", created=1_700_000_000))
    post(dispute_event("evt_d4", "charge.dispute.funds_withdrawn", status="needs_response", created=1_700_000_050))
    post(dispute_event("evt_d5", "charge.dispute.funds_reinstated", status="won", created=1_700_000_900))
    bodies = list(disputed_return.events.filter(kind="dispute").order_by("id").values_list("body", flat=True))
    assert "Stripe withdrew $50.00 from the balance for the dispute." in bodies
    assert "Stripe reinstated $50.00 to the balance." in bodies


def test_dispute_found_by_charge_id_too(client, post, webhook_secret, reference_data):
    order = OrderFactory(amount_paid=5000, payment_reference="ch_disputed")
    post(dispute_event("evt_d6", "charge.dispute.created", status="needs_response", created=1, payment_intent=""))
    assert Dispute.objects.get().order == order


def test_dispute_for_an_unknown_payment_is_kept_as_ignored_with_the_reason(
    client, post, webhook_secret, reference_data
):
    response = post(
        dispute_event(
            "evt_d7", "charge.dispute.created", status="needs_response", created=1, payment_intent="pi_unknown"
        )
    )
    assert response.status_code == 200
    event = StripeEvent.objects.get(stripe_event_id="evt_d7")
    assert event.status == "ignored"
    assert (
        event.error == "dispute dp_1 is about pi_unknown (charge ch_disputed) which no order of the desk was paid with"
    )
    assert not Dispute.objects.exists()
