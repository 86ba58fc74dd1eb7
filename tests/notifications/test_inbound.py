"""Customer email in: through Mailgun's signed inbound webhook (Anymail) and from a Maildir."""

import hashlib
import hmac
import mailbox
import secrets
import time
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from returns_desk.notifications.models import InboundEmail
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, OutboundEmailFactory, return_in_state

KEY = "mailgun-signing-key-test"


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}


def customer_email(
    *, sender: str, subject: str, text: str, in_reply_to: str = "", message_id: str = "<c1@mail>", attachments=()
) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"], message["Message-ID"] = (
        sender,
        "returns@shop.example",
        subject,
        message_id,
    )
    if in_reply_to:
        message["In-Reply-To"] = message["References"] = in_reply_to
    message.set_content(text)
    for name, content_type, payload in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return message


def post_to_mailgun_route(client, message: EmailMessage, *, key: str = KEY):
    timestamp, token = str(int(time.time())), secrets.token_hex(25)  # Mailgun's token: 50 characters, new each time
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return client.post(
        "/webhooks/inbound-email/",
        {
            "body-mime": message.as_string(),
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
            "sender": message["From"],
            "recipient": "returns@shop.example",
        },
    )


@pytest.fixture
def waiting(reference_data):
    order = OrderFactory(email="casey@example.com")
    return return_in_state("needs_info", order=order)


def test_answer_by_rma_in_subject_is_filed_and_moves_the_return_on(
    client, mailgun, waiting, django_capture_on_commit_callbacks
):
    photo = b"\xff\xd8\xff\xe0" + b"0" * 2000
    message = customer_email(
        sender="Casey <casey@example.com>",
        subject=f"Re: photos for {waiting.rma_number}",
        text="Here is the photo of the label.\n\nOn 3 Nov, Returns wrote:\n> Could you send a photo?",
        attachments=[("label.jpg", "image/jpeg", photo), ("run.exe", "application/x-msdownload", b"MZ")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_to_mailgun_route(client, message)
    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert (inbound.status, inbound.return_request_id) == ("filed", waiting.pk)
    assert [a.filename for a in inbound.attachments.all()] == ["label.jpg"]
    assert "run.exe (application/x-msdownload is not accepted)" in inbound.note
    rr = ReturnRequest.objects.get(pk=waiting.pk)
    assert rr.status == "requested"
    message_event = rr.events.filter(kind="message").get()
    assert message_event.body.startswith("Here is the photo of the label.")
    assert "Could you send a photo?" not in message_event.body  # the quoted thread is left out
    assert "Attached: label.jpg" in message_event.body


def test_reply_to_our_email_is_matched_by_its_thread(client, mailgun, waiting):
    ours = OutboundEmailFactory(
        return_request=waiting,
        event_key="k",
        kind="info_requested",
        subject="s",
        text_body="t",
        message_id="<ours@shop>",
    )
    post_to_mailgun_route(
        client,
        customer_email(
            sender=waiting.email, subject="Re: your question", text="Yes, tags are on.", in_reply_to=ours.message_id
        ),
    )
    assert InboundEmail.objects.get().return_request_id == waiting.pk


def test_a_stranger_naming_an_rma_goes_to_triage(client, mailgun, waiting, agent):
    post_to_mailgun_route(
        client,
        customer_email(sender="mallory@evil.example", subject=f"{waiting.rma_number}", text="Refund me instead."),
    )
    inbound = InboundEmail.objects.get()
    assert inbound.status == "triage"
    assert "not the return's customer" in inbound.note
    assert not ReturnRequest.objects.get(pk=waiting.pk).events.filter(kind="message").exists()
    client.force_login(agent)
    page = client.get("/desk/inbox/").content.decode()
    assert "Refund me instead." in page
    wrong = client.post("/desk/inbox/", {"inbound": inbound.pk, "rma": "RMA-999999"}).content.decode()
    assert "No return RMA-999999." in wrong and 'value="RMA-999999"' in wrong
    client.post("/desk/inbox/", {"inbound": inbound.pk, "rma": waiting.rma_number.lower()})
    assert InboundEmail.objects.get().status == "filed"
    assert ReturnRequest.objects.get(pk=waiting.pk).events.filter(kind="message").exists()


def test_bad_signature_is_refused_and_nothing_stored(client, mailgun, waiting):
    response = post_to_mailgun_route(
        client, customer_email(sender=waiting.email, subject=waiting.rma_number, text="hi"), key="wrong-key"
    )
    assert response.status_code == 400
    assert not InboundEmail.objects.exists()


def test_unconfigured_inbound_is_refused_with_a_reason(client, settings, waiting):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    response = post_to_mailgun_route(client, customer_email(sender=waiting.email, subject="x", text="x"))
    assert response.status_code == 400 and "not configured" in response.json()["error"]


def test_the_same_email_delivered_twice_is_filed_once(client, mailgun, waiting):
    message = customer_email(sender=waiting.email, subject=waiting.rma_number, text="Photo attached.")
    post_to_mailgun_route(client, message)
    post_to_mailgun_route(client, message)
    assert InboundEmail.objects.count() == 1
    assert ReturnRequest.objects.get(pk=waiting.pk).events.filter(kind="message").count() == 1


def test_fetch_mail_reads_a_maildir_once(tmp_path, waiting):
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    box.add(
        customer_email(
            sender=waiting.email, subject=f"About {waiting.rma_number}", text="Sent it Monday.", message_id="<m1@mail>"
        )
    )
    box.add(
        customer_email(
            sender="someone@example.com", subject="Where is my order?", text="Hello?", message_id="<m2@mail>"
        )
    )
    call_command("fetch_mail", maildir=str(tmp_path / "mail"), verbosity=0)
    call_command("fetch_mail", maildir=str(tmp_path / "mail"), verbosity=0)  # nothing new the second time
    assert dict(InboundEmail.objects.values_list("message_id", "status")) == {
        "<m1@mail>": "filed",
        "<m2@mail>": "triage",
    }
    assert all(message.get_subdir() == "cur" for message in mailbox.Maildir(tmp_path / "mail").values())
