"""An email finds its return by the RMA in any common form, by its thread, or by the sender's one open return;
else it waits in triage with the reason."""

from email.message import EmailMessage

import pytest

from returns_desk.core.actors import Actor
from returns_desk.notifications.inbound import inbound_email_receive
from returns_desk.notifications.matching import rma_numbers_in
from returns_desk.notifications.models import InboundEmail
from returns_desk.notifications.triage import inbound_file_from_triage
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, return_in_state


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("RMA 123", ["RMA-000123"]),
        ("about rma-000123 please", ["RMA-000123"]),
        ("RMA-000123", ["RMA-000123"]),
        ("Re: return #123", ["RMA-000123"]),
        ("RMA#7 and RMA:000008", ["RMA-000007", "RMA-000008"]),
        ("RMA-1234567", ["RMA-1234567"]),
        ("no number here, nor in &#123; or a#5", []),
        ("RMA 0", []),
    ],
)
def test_rma_numbers_are_read_in_any_common_form(text, numbers):
    assert rma_numbers_in(text) == numbers


def email_from(sender: str, subject: str, text: str, message_id: str = "<m@mail>") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = (
        sender,
        "returns@shop.example",
        subject,
        message_id,
    )
    message.set_content(text)
    return message


@pytest.fixture
def kims_return(reference_data):
    return return_in_state("approved", order=OrderFactory(email="kim@example.com"))


@pytest.mark.parametrize("form", ["RMA {n}", "rma-{rma}", "{rma}", "#{n}"])
def test_an_rma_named_in_the_body_in_any_form_files_the_email(kims_return, form):
    return_in_state("approved", order=OrderFactory(email="kim@example.com"))  # a second open return of Kim's
    number = int(kims_return.rma_number.removeprefix("RMA-"))
    body = f"Hello, about {form.format(n=number, rma=kims_return.rma_number.lower())}: it is on its way."
    inbound = inbound_email_receive(message=email_from("Kim <KIM@example.com>", "Parcel", body), source="maildir")
    assert (inbound.status, inbound.return_request_id) == ("filed", kims_return.pk)


def test_the_senders_only_open_return_takes_an_email_that_names_none(kims_return):
    return_in_state("resolved", order=OrderFactory(email="kim@example.com"))  # finished: not a candidate
    inbound = inbound_email_receive(message=email_from("kim@example.com", "Hi", "Sent it."), source="maildir")
    assert (inbound.status, inbound.return_request_id) == ("filed", kims_return.pk)
    assert inbound.note == "the sender's only open return"


def test_a_sender_with_several_open_returns_and_no_rma_waits_in_triage(kims_return):
    other = return_in_state("requested", order=OrderFactory(email="kim@example.com"))
    inbound = inbound_email_receive(message=email_from("kim@example.com", "Hi", "Sent it."), source="maildir")
    assert inbound.status == "triage"
    assert "the sender has 2 open returns" in inbound.note
    assert kims_return.rma_number in inbound.note and other.rma_number in inbound.note


def test_a_stranger_filed_from_triage_is_labelled_with_their_address(kims_return, agent):
    message = email_from("kim@other.example", f"Re: {kims_return.rma_number}", "I am Kim's partner; it was sent.")
    inbound = inbound_email_receive(message=message, source="maildir")
    assert inbound.status == "triage" and "not the return's customer" in inbound.note
    inbound_file_from_triage(inbound=inbound, rma_number=kims_return.rma_number, by=Actor.staff(agent))
    event = ReturnRequest.objects.get(pk=kims_return.pk).events.get(kind="message")
    assert event.actor_label == "kim@other.example (not the customer's address)"
    assert event.data["from_email"] == "kim@other.example"
    rr = ReturnRequest.objects.get(pk=kims_return.pk)
    assert rr.awaiting_reply_since is not None  # filed through return_add_message: the conversation waits for us
    assert InboundEmail.objects.get(pk=inbound.pk).status == "filed"
