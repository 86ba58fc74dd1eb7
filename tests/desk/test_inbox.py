"""The inbox a VA can finish: file an email on a return (any RMA form), answer the sender, open a return for
the sender's order, or dismiss it with a reason. Bad input gives a clear message and writes nothing."""

from email.message import EmailMessage

import pytest

from returns_desk.notifications.inbound import inbound_email_receive
from returns_desk.notifications.models import InboundEmail, OutboundEmail
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OrderLineFactory, return_in_state


def triaged(sender: str = "kim@other.example", text: str = "Where is my refund?", subject: str = "Hello"):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = (
        sender,
        "returns@shop.example",
        subject,
        f"<{sender}.{subject}@mail>",
    )
    message.set_content(text)
    inbound = inbound_email_receive(message=message, source="maildir")
    assert inbound.status == "triage"
    return inbound


@pytest.fixture
def desk(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def kims_return(reference_data):
    return return_in_state("approved", order=OrderFactory(email="kim@example.com"))


def test_file_accepts_the_rma_in_any_form_and_labels_a_stranger(desk, kims_return):
    inbound = triaged()
    number = int(kims_return.rma_number.removeprefix("RMA-"))
    response = desk.post("/desk/inbox/", {"inbound": inbound.pk, "rma": f"rma {number}"})
    assert response.status_code == 302
    assert InboundEmail.objects.get(pk=inbound.pk).return_request_id == kims_return.pk
    message = kims_return.events.get(kind="message")
    assert message.actor_label == "kim@other.example (not the customer's address)"


def test_the_ticket_names_a_strangers_address_on_their_message(desk, kims_return):
    desk.post("/desk/inbox/", {"inbound": triaged().pk, "rma": kims_return.rma_number})
    ticket = desk.get(kims_return.get_absolute_url()).content.decode()
    assert "kim@other.example (not the customer&#x27;s address)" in ticket


def test_file_with_a_bad_number_says_why_next_to_the_field_and_writes_nothing(desk, kims_return):
    inbound = triaged()
    page = desk.post("/desk/inbox/", {"inbound": inbound.pk, "rma": "banana"})
    assert page.status_code == 400
    html = page.content.decode()
    assert "“banana” is not an RMA number" in html and f'id="inbox-{inbound.pk}-rma_error"' in html
    assert InboundEmail.objects.get(pk=inbound.pk).status == "triage"


@pytest.mark.parametrize("posted", [{"inbound": "abc", "rma": "1"}, {"inbound": "999999", "rma": "1"}, {}])
def test_a_post_about_no_waiting_email_is_a_clear_400_not_a_500(desk, reference_data, posted):
    page = desk.post("/desk/inbox/", posted)
    assert page.status_code == 400
    assert "no longer waiting in the inbox" in page.content.decode()


def test_the_senders_returns_are_offered_to_file_on_in_one_click(desk, kims_return):
    second = return_in_state("requested", order=OrderFactory(email="kim@example.com"))
    triaged(sender="kim@example.com")  # two open returns and no RMA named: a person chooses
    page = desk.get("/desk/inbox/").content.decode()
    assert f"File on {kims_return.rma_number}" in page and f"File on {second.rma_number}" in page


def test_reply_goes_through_the_outbox_threaded_and_the_email_stays(
    desk, reference_data, django_capture_on_commit_callbacks
):
    inbound = triaged()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = desk.post(f"/desk/inbox/{inbound.pk}/reply/", {"body": "Which order is this about?"})
    assert response.status_code == 302
    email = OutboundEmail.objects.get(inbound=inbound)
    assert (email.to_email, email.subject, email.in_reply_to) == ("kim@other.example", "Re: Hello", inbound.message_id)
    assert "Which order is this about?" in email.text_body and "> Where is my refund?" in email.text_body
    assert len(callbacks) == 1  # the send task, queued once the transaction commits
    desk.post(f"/desk/inbox/{inbound.pk}/reply/", {"body": "Which order is this about?"})  # a double click
    assert OutboundEmail.objects.filter(inbound=inbound).count() == 1
    assert InboundEmail.objects.get(pk=inbound.pk).status == "triage"
    assert "Answered:" in desk.get("/desk/inbox/").content.decode()


def test_an_empty_reply_is_refused_next_to_the_field(desk, reference_data):
    inbound = triaged()
    page = desk.post(f"/desk/inbox/{inbound.pk}/reply/", {"body": "   "})
    assert page.status_code == 400
    assert f'id="inbox-{inbound.pk}-body_error"' in page.content.decode()
    assert not OutboundEmail.objects.exists()


def test_dismiss_needs_a_reason_then_keeps_the_email_in_the_dismissed_list(desk, agent, reference_data):
    inbound = triaged(text="Buy cheap watches")
    refused = desk.post(f"/desk/inbox/{inbound.pk}/dismiss/", {"reason": ""})
    assert refused.status_code == 400 and f'id="inbox-{inbound.pk}-reason_error"' in refused.content.decode()
    assert InboundEmail.objects.get(pk=inbound.pk).status == "triage"
    assert desk.post(f"/desk/inbox/{inbound.pk}/dismiss/", {"reason": "spam"}).status_code == 302
    kept = InboundEmail.objects.get(pk=inbound.pk)
    assert (kept.status, kept.dismissed_reason, kept.dismissed_by) == ("dismissed", "spam", agent)
    assert "Buy cheap watches" not in desk.get("/desk/inbox/").content.decode()
    listed = desk.get("/desk/inbox/dismissed/").content.decode()
    assert "Buy cheap watches" in listed and "spam" in listed and "Ana" in listed
    again = desk.post(f"/desk/inbox/{inbound.pk}/dismiss/", {"reason": "spam"}, follow=True)
    assert "no longer waiting in the inbox" in again.content.decode()


def test_start_a_return_for_the_senders_order_and_file_the_email_on_it(desk, agent, reference_data):
    order = OrderFactory(email="lee@example.com", number="100777")
    line = OrderLineFactory(order=order, title="Rain jacket", quantity=2, unit_price=5000)
    inbound = triaged(sender="lee@example.com", text="The jacket is too big, can I send it back?")
    page = desk.get(f"/desk/inbox/{inbound.pk}/start-return/")
    assert "100777" in page.content.decode()  # the sender's orders are offered
    lines = desk.get(f"/desk/inbox/{inbound.pk}/start-return/", {"order": "#100777"}).content.decode()
    assert "Rain jacket" in lines
    posted = {"order": "100777", f"qty_{line.pk}": "1", f"reason_{line.pk}": "damaged", "resolution": "refund"}
    response = desk.post(f"/desk/inbox/{inbound.pk}/start-return/", posted)
    rr = ReturnRequest.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == rr.get_absolute_url()
    opened = rr.events.filter(kind="transition").first()
    assert opened.actor_user == agent
    assert InboundEmail.objects.get(pk=inbound.pk).return_request_id == rr.pk
    assert rr.events.filter(kind="message", body__startswith="The jacket is too big").exists()


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"order": "100777", "resolution": "refund"}, "Choose at least one item"),
        ({"order": "100777", "resolution": "refund", "qty": "1"}, "Choose why this item comes back"),
        ({"order": "100777", "resolution": "refund", "qty": "9", "reason": "damaged"}, "less than or equal to 2"),
        ({"order": "nope", "resolution": "refund"}, "No order “nope”"),
        # "mixed" describes a whole return whose items chose for themselves; it is not a choice here.
        ({"order": "100777", "resolution": "mixed", "qty": "1", "reason": "damaged"}, "Select a valid choice"),
    ],
)
def test_starting_a_return_with_bad_input_says_why_and_opens_nothing(desk, reference_data, posted, error):
    order = OrderFactory(email="lee@example.com", number="100777")
    line = OrderLineFactory(order=order, quantity=2)
    inbound = triaged(sender="lee@example.com")
    data = {k: v for k, v in posted.items() if k not in ("qty", "reason")}
    if "qty" in posted:
        data[f"qty_{line.pk}"] = posted["qty"]
    if "reason" in posted:
        data[f"reason_{line.pk}"] = posted["reason"]
    page = desk.post(f"/desk/inbox/{inbound.pk}/start-return/", data)
    assert page.status_code == 400
    assert error in page.content.decode()
    assert not ReturnRequest.objects.exists()
    assert InboundEmail.objects.get(pk=inbound.pk).status == "triage"


def test_the_inbox_is_for_desk_staff_only(client, outsider, reference_data):
    inbound = triaged()
    client.force_login(outsider)
    assert client.get("/desk/inbox/").status_code == 403
    assert client.post(f"/desk/inbox/{inbound.pk}/dismiss/", {"reason": "x"}).status_code == 403
    assert InboundEmail.objects.get(pk=inbound.pk).status == "triage"
