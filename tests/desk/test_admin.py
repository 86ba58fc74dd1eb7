"""Admin: every model registered, the state read-only, transitions as actions through the services."""

import re

from django.apps import apps
from django.contrib import admin

from returns_desk.core.actors import Actor
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from tests.factories import return_in_state

OUR_APPS = ["staff", "customers", "orders", "policies", "returns", "payments", "desk", "documents", "notifications"]


def test_every_model_is_registered():
    missing = [
        m.__name__ for a in OUR_APPS for m in apps.get_app_config(a).get_models() if m not in admin.site._registry
    ]
    assert missing == []


def test_manager_sees_returns_with_status_read_only(client, manager):
    rr = return_in_state("requested")
    manager.is_superuser = False
    manager.save()
    client.force_login(manager)
    listing = client.get("/admin/returns/returnrequest/")
    assert listing.status_code == 200 and rr.rma_number.encode() in listing.content
    change = client.get(f"/admin/returns/returnrequest/{rr.pk}/change/").content.decode()
    assert 'name="status"' not in change
    assert "Requested" in change


def test_admin_action_runs_the_service_and_names_refusals(client, manager):
    requested = return_in_state("requested")
    closed = return_in_state("closed")
    client.force_login(manager)
    response = client.post(
        "/admin/returns/returnrequest/",
        {"action": "action_approve", "_selected_action": [requested.pk, closed.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert f"Approve: done for {requested.rma_number}." in text
    assert f"{closed.rma_number}: Approve is no longer possible: the return is now Closed" in text
    assert ReturnRequest.objects.get(pk=requested.pk).status == "approved"
    event = ReturnEvent.objects.filter(return_request=requested).order_by("id").last()
    assert (event.transition, event.actor_user) == ("approve", manager)


def test_agent_cannot_run_manager_actions_from_admin_either(client, agent):
    rr = return_in_state("requested")
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    client.post("/admin/returns/returnrequest/", {"action": "action_close", "_selected_action": [rr.pk]})
    assert ReturnRequest.objects.get(pk=rr.pk).status == "requested"


def test_timeline_cannot_be_edited_in_admin(client, manager):
    rr = return_in_state("requested")
    client.force_login(manager)
    event = rr.events.get()
    assert client.get(f"/admin/returns/returnevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/returns/returnevent/add/").status_code == 403


def test_manager_reads_the_outbox_and_documents_in_admin(client, manager, django_capture_on_commit_callbacks):
    rr = return_in_state("requested", unit_price=2000)  # sent back: approval prepares its label and slip
    with django_capture_on_commit_callbacks(execute=True):
        services.return_approve(return_request=rr, by=Actor.staff(manager))
    client.force_login(manager)
    outbox = client.get("/admin/notifications/outboundemail/").content.decode()
    assert "Your return is approved" in outbox and rr.email in outbox
    assert rr.rma_number in client.get("/admin/documents/document/").content.decode()
    assert client.get("/admin/notifications/inboundemail/").status_code == 200


def test_managers_write_canned_responses_with_a_preview_and_checked_placeholders(client, manager):
    from returns_desk.desk.models import CannedResponse

    manager.is_superuser = False
    manager.save()
    client.force_login(manager)
    bad = client.post(
        "/admin/desk/cannedresponse/add/",
        {"title": "Oops", "body": "Hi {firstname}", "action": "", "is_active": "on", "position": 0},
    )
    assert "Unknown placeholder(s): firstname." in bad.content.decode()
    client.post(
        "/admin/desk/cannedresponse/add/",
        {"title": "Hello", "body": "About {rma}, {first_name}.", "action": "", "is_active": "on", "position": 0},
    )
    canned = CannedResponse.objects.get(title="Hello")
    page = client.get(f"/admin/desk/cannedresponse/{canned.pk}/change/").content.decode()
    assert "About RMA-000123, Casey." in page


def test_a_second_active_policy_is_refused_with_a_reason_and_make_active_switches(client, manager):
    from returns_desk.policies.models import ReturnPolicy

    client.force_login(manager)
    current = ReturnPolicy.objects.get(is_active=True)
    data = {
        "name": "Holiday returns",
        "is_active": "on",
        "currency": "USD",
        "return_window_days": 60,
        "restocking_fee_percent": "0",
        "return_shipping_fee": 0,
        "non_returnable_categories": "[]",
        "store_credit_bonus_percent": "150",
        "returnless_refund_threshold": 0,
        "agent_refund_limit": 20000,
        "sla_first_response_hours": 24,
        "sla_inspection_hours": 48,
        "sla_refund_hours": 24,
        "sla_reply_hours": 8,
        "reply_sla_business_hours_only": "on",
        "business_day_starts_hour": 9,
        "business_day_ends_hour": 17,
        "take_over_idle_hours": 24,
    }
    refused = client.post("/admin/policies/returnpolicy/add/", data).content.decode()
    assert "Ensure this value is less than or equal to 100." in refused
    assert f"“{current.name}” is the active policy." in refused
    client.post("/admin/policies/returnpolicy/add/", {**data, "is_active": "", "store_credit_bonus_percent": "15"})
    holiday = ReturnPolicy.objects.get(name="Holiday returns")
    client.post(
        "/admin/policies/returnpolicy/",
        {"action": "make_active", "_selected_action": [holiday.pk]},
    )
    assert list(ReturnPolicy.objects.filter(is_active=True)) == [holiday]


def test_stripe_events_can_be_processed_again_and_emails_sent_again(
    client, manager, mailoutbox, django_capture_on_commit_callbacks
):
    from returns_desk.notifications.models import OutboundEmail
    from returns_desk.notifications.services import email_queue
    from returns_desk.payments.models import StripeEvent

    event = StripeEvent.objects.create(
        stripe_event_id="evt_again", type="customer.created", payload={"type": "customer.created"}, status="failed"
    )
    rr = return_in_state("approved")
    email = email_queue(return_request=rr, kind="approved", event_key="again-1", extra={"event": None})
    OutboundEmail.objects.filter(pk=email.pk).update(status="failed", attempts=5)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/payments/stripeevent/", {"action": "process_again", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == "ignored"  # processed again: a type the desk does not act on
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/notifications/outboundemail/", {"action": "send_again", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == "sent" and len(mailoutbox) == 1
    assert mailoutbox[0].extra_headers["Message-ID"] == email.message_id


def test_user_list_shows_groups_and_refund_limits(client, manager, agent):
    from returns_desk.staff.models import StaffProfile

    StaffProfile.objects.create(user=agent, refund_limit=5000)
    client.force_login(manager)
    page = client.get("/admin/auth/user/").content.decode()
    assert "Agents" in page and "$50.00" in page


def test_a_priority_changed_in_admin_is_on_the_timeline(client, manager):
    rr = return_in_state("requested")
    client.force_login(manager)
    url = f"/admin/returns/returnrequest/{rr.pk}/change/"

    def submitted(priority: str) -> dict:
        """The change form as the browser sends it (the inlines' hidden fields too), with a priority chosen."""
        page = client.get(url).content.decode()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        return {**fields, "priority": priority}

    client.post(url, submitted("3"))
    rr.refresh_from_db()
    assert rr.priority == 3
    note = rr.events.get(kind="note")
    assert (note.body, note.actor_user_id) == ("Changed in admin. Priority normal → urgent.", manager.pk)
    client.post(url, submitted("3"))  # unchanged: no second note
    assert rr.events.filter(kind="note").count() == 1


def test_customer_photos_are_evidence_read_only_in_admin(client, manager, tmp_path, settings):
    from returns_desk.returns.models import ReturnPhoto

    rr = return_in_state("requested")
    photo = ReturnPhoto.objects.create(item=rr.items.get(), image="return-photos/x.jpg")
    client.force_login(manager)
    assert client.get(f"/admin/returns/returnphoto/{photo.pk}/delete/").status_code == 403
    client.post(f"/admin/returns/returnphoto/{photo.pk}/change/", {"image": "other.jpg"})
    assert ReturnPhoto.objects.get(pk=photo.pk).image.name == "return-photos/x.jpg"
