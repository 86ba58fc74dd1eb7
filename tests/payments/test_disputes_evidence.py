"""Dispute evidence: drafted from what the desk knows, reviewed by a manager, staged then submitted.

localstripe has no disputes API, so Stripe's endpoint here is a minimal local server that records
what the real client sends.
"""

import urllib.parse

import pytest

from returns_desk.core.actors import Actor
from returns_desk.payments.models import Dispute
from returns_desk.returns import services
from tests.factories import DisputeFactory, OrderFactory, return_in_state
from tests.support.stripe import RecordingStripe


@pytest.fixture
def stripe_disputes(settings):
    server = RecordingStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_returns_desk"
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


@pytest.fixture
def dispute(reference_data, agent):
    order = OrderFactory(amount_paid=5000, payment_reference="pi_ev", shipping_address="1 Quay Street\nBristol")
    rr = return_in_state("received", unit_price=5000, order=order)
    services.return_reject(
        return_request=return_in_state("requested", order=order), by=Actor.staff(agent), reason="Worn"
    )
    rr.tracking_carrier, rr.tracking_number = "DPD", "TRK42"
    rr.save(update_fields=["tracking_carrier", "tracking_number"])
    services.return_add_message(return_request=rr, by=Actor.customer(), body="I sent it back on Monday.")
    services.return_add_note(return_request=rr, by=Actor.staff(agent), body="Internal: customer is a reseller?")
    return DisputeFactory(
        order=order, return_request=rr, stripe_dispute_id="dp_ev", reason="product_not_received", amount=5000
    )


def sent_fields(body: str) -> dict:
    return dict(urllib.parse.parse_qsl(body))


def test_draft_evidence_comes_from_the_desk_and_keeps_internal_notes_out(dispute, manager, client):
    client.force_login(manager)
    page = client.get(f"/desk/disputes/{dispute.pk}/").content.decode()
    assert "This is a draft from the desk" in page
    assert "TRK42" in page and "I sent it back on Monday." in page
    assert "Items may be returned within 30 days of delivery" in page
    assert "reseller" not in page
    assert "Customer — Return requested" in page
    assert "Assigned to" not in page


def test_manager_stages_then_submits_evidence_to_stripe(
    dispute, manager, client, stripe_disputes, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    form = {
        "customer_name": "Casey Customer",
        "customer_email_address": "casey@example.com",
        "shipping_tracking_number": "TRK42",
        "uncategorized_text": "Parcel received on 3 Nov; refund issued.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/desk/disputes/{dispute.pk}/", {**form, "action": "stage"}, follow=True)
    assert "Evidence sent to Stripe." in response.content.decode()
    method, path, body = stripe_disputes.requests[-1]
    assert (method, path) == ("POST", "/v1/disputes/dp_ev")
    fields = sent_fields(body)
    assert fields["submit"] == "false"
    assert fields["evidence[shipping_tracking_number]"] == "TRK42"
    assert fields["evidence[uncategorized_text]"] == "Parcel received on 3 Nov; refund issued."
    dispute.refresh_from_db()
    assert dispute.evidence_staged_at and not dispute.evidence_submitted_at

    staged = dict(Dispute.objects.get(pk=dispute.pk).evidence)
    refused = client.post(
        f"/desk/disputes/{dispute.pk}/", {**form, "uncategorized_text": "Changed, not reviewed.", "action": "submit"}
    )
    assert "Tick “I reviewed this evidence”" in refused.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).evidence == staged  # a refused submit saves nothing
    refused = client.post(f"/desk/disputes/{dispute.pk}/", {**form, "action": "submit"})
    assert 'value="Parcel received on 3 Nov; refund issued."' not in refused.content.decode()  # a textarea
    assert "Parcel received on 3 Nov; refund issued.</textarea>" in refused.content.decode()  # typed text kept
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/desk/disputes/{dispute.pk}/", {**form, "action": "submit", "reviewed": "yes"})
    assert sent_fields(stripe_disputes.requests[-1][2])["submit"] == "true"
    dispute.refresh_from_db()
    assert dispute.evidence_submitted_at is not None
    assert dispute.return_request.events.filter(kind="dispute", body="Dispute evidence submitted to the bank.").exists()
    again = client.post(f"/desk/disputes/{dispute.pk}/", {**form, "action": "save"}, follow=True)
    assert "already submitted to the bank" in again.content.decode()


def test_stripe_refusing_evidence_is_shown(dispute, manager, client, settings, django_capture_on_commit_callbacks):
    server = RecordingStripe(status=400)
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_x", server.url
    try:
        client.force_login(manager)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/desk/disputes/{dispute.pk}/", {"customer_name": "Casey", "action": "stage"})
        page = client.get(f"/desk/disputes/{dispute.pk}/").content.decode()
        assert "Stripe refused the last attempt" in page and "Evidence is closed" in page
    finally:
        server.close()


def test_agents_cannot_open_disputes(dispute, agent, client):
    client.force_login(agent)
    assert client.get("/desk/disputes/").status_code == 403
    assert client.get(f"/desk/disputes/{dispute.pk}/").status_code == 403


def test_dispute_list_shows_the_deadline(dispute, manager, client):
    from django.utils import timezone

    Dispute.objects.filter(pk=dispute.pk).update(evidence_due_by=timezone.now() + timezone.timedelta(days=3))
    client.force_login(manager)
    page = client.get("/desk/disputes/").content.decode()
    assert "dp_ev" in page and "Evidence due" in page and "from now" in page
