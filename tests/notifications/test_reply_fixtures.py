"""Real-world-shaped replies (tests/notifications/fixtures/replies/*.eml, as the clients send them) are each
filed on the right return, with only what the customer wrote: the quoted thread is left out."""

from pathlib import Path

import pytest

from returns_desk.notifications.inbound import inbound_email_receive, parse
from returns_desk.notifications.models import InboundEmail
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OutboundEmailFactory, return_in_state

REPLIES = Path(__file__).parent / "fixtures" / "replies"

# file, sender, the return's RMA, how it is found, the text kept, words of the quoted part that must be gone
CASES = [
    (
        "gmail.eml",
        "kim.gardner@gmail.com",
        "RMA-000041",
        "answers our email",
        "Hi,\n\nThe tags are still on and the box is the original one. I can drop it at the\n"
        "post office on Thursday.\n\nKim",
        ["Could you tell us", "wrote:"],
    ),
    (
        "outlook.eml",
        "jordan.baptiste@outlook.com",
        "RMA-000042",
        "names RMA-000042",
        "Hello,\n\nThanks for approving it. The label will not print on my printer, could you send it again as "
        "a PDF?\n\nRegards,\nJordan Baptiste",
        ["From: Returns Desk", "Sent:", "Good news", "____"],
    ),
    (
        "apple_mail.eml",
        "sam.okafor@icloud.com",
        "RMA-000043",
        "names RMA-000043",
        "The parcel for RMA 43 went out this morning with tracking 1Z999AA10123456784.\n\nSam",
        ["wrote:", "Once you have sent the parcel"],
    ),
    (
        "german.eml",
        "lena.hoffmann@web.de",
        "RMA-000044",
        "names RMA-000044",
        "Hallo,\n\ndie Schuhe sind zu klein, ich hätte gern eine Nummer größer statt des Geldes.\n\n"
        "Viele Grüße\nLena Hoffmann",
        ["schrieb", "wir haben Ihre Rücksendung erhalten"],
    ),
    (
        "french.eml",
        "camille.lefevre@orange.fr",
        "RMA-000045",
        "the sender's only open return",
        "Bonjour,\n\nLe colis est parti hier, je n'ai pas encore reçu de confirmation de votre part.\n\n"
        "Bien à vous,\nCamille Lefèvre",
        ["a écrit", "Votre retour est approuvé"],
    ),
]


def _return_for(sender: str, rma_number: str) -> ReturnRequest:
    rr = return_in_state("approved", order=OrderFactory(email=sender))
    ReturnRequest.objects.filter(pk=rr.pk).update(rma_number=rma_number)
    return ReturnRequest.objects.get(pk=rr.pk)


@pytest.mark.parametrize(("name", "sender", "rma", "how", "kept", "quoted"), CASES, ids=[c[0] for c in CASES])
def test_each_client_reply_is_filed_on_its_return_with_only_the_new_text(
    reference_data, name, sender, rma, how, kept, quoted
):
    rr = _return_for(sender, rma)
    _return_for("someone.else@example.com", "RMA-000099")  # another customer's return, never chosen
    if name == "gmail.eml":
        OutboundEmailFactory(
            return_request=rr, message_id="<RMA-000041.info_requested.5f2c1a9e0b7d4e11@returns.shop.example>"
        )
    inbound = inbound_email_receive(message=parse((REPLIES / name).read_bytes()), source="maildir")
    assert (inbound.status, inbound.return_request_id, inbound.note) == (InboundEmail.Status.FILED, rr.pk, how)
    assert inbound.text == kept
    message = rr.events.get(kind="message")
    assert message.body == kept
    assert message.actor_label == "Customer"  # the return's own customer
    assert message.data["from_email"] == sender
    for words in quoted:
        assert words not in message.body


def test_an_html_only_reply_is_read_as_text_and_cut_at_the_quote(reference_data):
    rr = _return_for("ines@example.com", "RMA-000046")
    raw = (
        b"From: Ines <ines@example.com>\r\nTo: returns@shop.example\r\nSubject: Re: RMA-000046\r\n"
        b"Message-ID: <html-only@mail>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<div>Here is the tracking number: 123 &amp; more.</div><div><br></div>"
        b"<div>On Mon, 3 Nov 2025 at 10:00, Returns Desk &lt;returns@shop.example&gt; wrote:</div>"
        b"<blockquote>Please send the tracking number.</blockquote>"
    )
    inbound = inbound_email_receive(message=parse(raw), source="maildir")
    assert inbound.return_request_id == rr.pk
    assert inbound.text == "Here is the tracking number: 123 & more."
