"""Mailgun's inbound signature covers its timestamp and token, not the message: a captured one must not carry
another message in, nor an old one be accepted. Malformed posts are refused with a reason, never a 500."""

import base64
import hashlib
import hmac
import secrets
import time

import pytest

from returns_desk.core.models import WebhookReceipt
from returns_desk.notifications import inbound
from returns_desk.notifications.models import InboundEmail
from returns_desk.returns.models import ReturnRequest
from tests.factories import OrderFactory, return_in_state
from tests.notifications.test_inbound import KEY, customer_email

URL = "/webhooks/inbound-email/"


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": KEY}
    settings.WEBHOOK_MAX_AGE_SECONDS = 300


def mailgun_signature(*, timestamp: int | None = None, token: str | None = None, key: str = KEY) -> dict:
    """The three fields Mailgun adds to a post: a timestamp, a fresh token and their HMAC."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = secrets.token_hex(25) if token is None else token
    signature = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": stamp, "token": token, "signature": signature}


def post_mime(client, message, signature: dict):
    return client.post(URL, {"body-mime": message.as_string(), "sender": message["From"], **signature})


@pytest.fixture
def two_waiting(reference_data):
    """Two returns of one customer, each waiting on her for information."""
    order = OrderFactory(email="casey@example.com")
    return return_in_state("needs_info", order=order), return_in_state("needs_info", order=order)


def test_a_captured_signature_sent_again_with_another_message_is_refused_and_files_nothing(
    client, mailgun, two_waiting
):
    first, second = two_waiting
    captured = mailgun_signature()
    genuine = customer_email(sender="casey@example.com", subject=f"Re: {first.rma_number}", text="Photo attached.")
    assert post_mime(client, genuine, captured).status_code == 200
    assert InboundEmail.objects.get().return_request_id == first.pk

    forged = customer_email(
        sender="Casey <casey@example.com>",
        subject=f"Re: {second.rma_number}",
        text="Please refund this one to my new card.",
        message_id="<forged@evil.example>",
    )
    response = post_mime(client, forged, captured)

    assert response.status_code == 406  # Mailgun's "rejected: do not retry"
    assert "already used" in response.json()["error"]
    assert InboundEmail.objects.count() == 1
    second = ReturnRequest.objects.get(pk=second.pk)
    assert second.status == "needs_info"  # not moved back to the desk
    assert not second.events.filter(kind="message").exists()


def test_a_year_old_signature_never_used_is_refused_and_files_nothing(client, mailgun, two_waiting):
    first, _ = two_waiting
    old = mailgun_signature(timestamp=int(time.time()) - 365 * 86400)
    message = customer_email(sender="casey@example.com", subject=first.rma_number, text="Here it is.")
    response = post_mime(client, message, old)
    assert response.status_code == 406
    assert "seconds old" in response.json()["error"]
    assert not InboundEmail.objects.exists() and not WebhookReceipt.objects.exists()
    assert ReturnRequest.objects.get(pk=first.pk).status == "needs_info"


def test_a_message_that_failed_to_file_can_be_sent_again_with_its_signature(client, mailgun, two_waiting, monkeypatch):
    """The token is kept in the transaction that files the email: Mailgun's retry after a 500 is accepted."""
    first, _ = two_waiting
    signature = mailgun_signature()
    message = customer_email(sender="casey@example.com", subject=first.rma_number, text="Tags are on.")
    real_receive = inbound.inbound_email_receive

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(inbound, "inbound_email_receive", broken)
    client.raise_request_exception = False
    assert post_mime(client, message, signature).status_code == 500
    assert not WebhookReceipt.objects.exists()

    monkeypatch.setattr(inbound, "inbound_email_receive", real_receive)
    assert post_mime(client, message, signature).status_code == 200
    assert InboundEmail.objects.get().return_request_id == first.pk


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"timestamp": "١٧٠٠٠٠٠٠٠٠"}, "Unix time"),
        ({"timestamp": "17000000é0"}, "Unix time"),
        ({"token": "tökén"}, "printable ASCII"),
        ({"token": ""}, "token is missing"),
        ({"signature": "é" * 64}, "64 hexadecimal"),
        ({"signature": "abc"}, "64 hexadecimal"),
        ({"signature": "0" * 64}, "does not match"),
        ({"timestamp": "yesterday"}, "Unix time"),
    ],
    ids=[
        "arabic_digit_timestamp",
        "accented_timestamp",
        "accented_token",
        "no_token",
        "accented_signature",
        "short_signature",
        "wrong_signature",
        "word_timestamp",
    ],
)
def test_malformed_signature_fields_are_refused_with_a_reason_not_a_500(client, mailgun, two_waiting, fields, reason):
    first, _ = two_waiting
    stamp, token = fields.get("timestamp", str(int(time.time()))), fields.get("token", secrets.token_hex(25))
    # Signed as given (over UTF-8 where it is not ASCII), so that only the format can refuse it.
    signed = hmac.new(KEY.encode(), f"{stamp}{token}".encode(), hashlib.sha256).hexdigest()
    signature = {"timestamp": stamp, "token": token, "signature": fields.get("signature", signed)}
    message = customer_email(sender="casey@example.com", subject=first.rma_number, text="x")
    client.raise_request_exception = False
    response = post_mime(client, message, signature)
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]
    assert not InboundEmail.objects.exists() and not WebhookReceipt.objects.exists()


def test_missing_fields_json_and_broken_forms_are_refused_with_a_reason(client, mailgun, two_waiting):
    client.raise_request_exception = False
    no_signature = client.post(URL, {"body-mime": "From: a@b.example\n\nhi"})
    assert no_signature.status_code == 400 and "token is missing" in no_signature.json()["error"]
    as_json = client.post(URL, b'{"signature": {}}', content_type="application/json")
    assert as_json.status_code == 400 and "form" in as_json.json()["error"]
    broken = client.post(URL, b"--x\r\nnot a part", content_type="multipart/form-data")
    assert broken.status_code == 400 and "could not be read" in broken.json()["error"]
    parsed = client.post(URL, {**mailgun_signature(), "message-headers": "not json", "attachment-count": "x"})
    assert parsed.status_code == 400 and "could not be read" in parsed.json()["error"]
    assert not InboundEmail.objects.exists() and not WebhookReceipt.objects.exists()


def test_a_hostile_message_under_a_good_signature_is_stored_for_triage_not_a_500(client, mailgun, two_waiting):
    """NUL characters (which PostgreSQL refuses in text), a thread header that decodes to them, an id and a
    sender longer than their columns: Mailgun signs whatever anyone mails to the inbound address."""
    raw = (
        "From: " + "x" * 300 + "@example.com\r\n"
        "To: returns@shop.example\r\n"
        "Subject: =?utf-8?b?" + base64.b64encode(b"hi\x00there").decode() + "?=\r\n"
        "Message-ID: <" + "m" * 300 + "@evil.example>\r\n"
        "In-Reply-To: =?utf-8?b?" + base64.b64encode(b"<a\x00b@x>\r\n<c@x>").decode() + "?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(b"Refund\x00 me").decode() + "\r\n"
    )
    client.raise_request_exception = False
    response = client.post(URL, {"body-mime": raw, **mailgun_signature()})
    assert response.status_code == 200, response.content
    stored = InboundEmail.objects.get()
    assert (stored.status, stored.from_email, stored.text) == ("triage", "unknown@invalid", "Refund me")
    assert stored.message_id.startswith("<sha256-") and "\x00" not in stored.subject + stored.in_reply_to
    again = client.post(URL, {"body-mime": raw, **mailgun_signature()})  # Mailgun's retry, signed anew
    assert again.status_code == 200 and InboundEmail.objects.count() == 1
