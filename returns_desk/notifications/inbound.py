"""Email from customers: filed on the right return, or left in the triage list for a person.

`matching` says which return an email is about (its thread, an RMA number it names, the sender's one open
return), and only when it comes from that return's customer; `reply_text` keeps what the sender wrote
without the thread their client quoted. What a person then does with a triaged email is in `triage`.
"""

import email
import email.policy
import hashlib
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from returns_desk.core.actors import Actor
from returns_desk.returns import services as returns
from returns_desk.returns.models import ReturnRequest, ReturnStatus

from .matching import match_return
from .models import InboundAttachment, InboundEmail
from .reply_text import body_text, reply_text

MESSAGE_ID_MAX_LENGTH = InboundEmail._meta.get_field("message_id").max_length


def inbound_email_receive(*, message: EmailMessage, source: str) -> InboundEmail:
    """Store an email once, file it on its return (answering an information request moves it on)."""
    sender = _clean(parseaddr(message.get("From", ""))[1])
    if len(sender) > InboundEmail._meta.get_field("from_email").max_length:
        sender = ""  # no customer's address is that long
    message_id = _clean(message.get("Message-ID") or "").strip()
    if not message_id or len(message_id) > MESSAGE_ID_MAX_LENGTH:
        # None, or too long to keep: a digest of it (or of the message) stands in, the same on each delivery.
        basis = message_id.encode() if message_id else message.as_bytes()
        message_id = f"<sha256-{hashlib.sha256(basis).hexdigest()[:32]}@inbound>"
    existing = InboundEmail.objects.filter(message_id=message_id).first()
    if existing:
        return existing  # delivered twice (a webhook retry, a mailbox read again)
    whole = _clean(body_text(message))
    text = reply_text(whole)
    _clean_thread_headers(message)
    match = match_return(message=message, sender=sender, new_text=text, whole_text=whole)
    rr, how = match.return_request, match.how
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                message_id=message_id,
                from_email=sender or "unknown@invalid",
                subject=_clean(message.get("Subject", ""))[:255],
                text=text,
                in_reply_to=_clean(message.get("In-Reply-To") or "")[:255],
                return_request=rr,
                status=InboundEmail.Status.FILED if rr else InboundEmail.Status.TRIAGE,
                note=how,
                source=source,
            )
            skipped = _keep_attachments(inbound, message)
            if skipped:
                inbound.note = f"{how}; not kept: {', '.join(skipped)}"[:255]
                inbound.save(update_fields=["note"])
            if rr is not None:
                inbound_file_on_return(inbound, rr)
    except IntegrityError:
        return InboundEmail.objects.get(message_id=message_id)
    return inbound


def _clean(value) -> str:
    """A header or body as text a database keeps: PostgreSQL refuses NUL characters in text."""
    return str(value).replace("\x00", "")


def _clean_thread_headers(message: EmailMessage) -> None:
    """In-Reply-To and References as the desk looks them up: once decoded, a header may hold NUL characters
    or line breaks (an encoded word can say anything), which the database cannot be asked about."""
    for name in ("In-Reply-To", "References"):
        values = [str(value) for value in message.get_all(name) or []]
        cleaned = [_clean(value).replace("\r", " ").replace("\n", " ") for value in values]
        if cleaned != values:
            del message[name]
            for value in cleaned:
                message[name] = value


def _keep_attachments(inbound: InboundEmail, message: EmailMessage) -> list[str]:
    skipped = []
    for part in message.iter_attachments():
        name = part.get_filename() or "attachment"
        content_type = part.get_content_type()
        payload = part.get_payload(decode=True) or b""
        if content_type not in settings.INBOUND_ATTACHMENT_TYPES:
            skipped.append(f"{name} ({content_type} is not accepted)")
        elif len(payload) > settings.INBOUND_ATTACHMENT_MAX_BYTES:
            skipped.append(f"{name} (over {settings.INBOUND_ATTACHMENT_MAX_BYTES // (1024 * 1024)} MB)")
        elif inbound.attachments.count() >= settings.INBOUND_ATTACHMENT_MAX_COUNT:
            skipped.append(f"{name} (more than {settings.INBOUND_ATTACHMENT_MAX_COUNT} files)")
        else:
            attachment = InboundAttachment(
                inbound=inbound, filename=name[:255], content_type=content_type, size=len(payload)
            )
            attachment.file.save(name, ContentFile(payload), save=False)
            attachment.save()
    return skipped


def inbound_file_on_return(inbound: InboundEmail, rr: ReturnRequest) -> None:
    """Add the email's text to the return's conversation as the customer's message (it leaves the
    conversation unanswered), labelled with its sender; an answer to an information request moves it on."""
    files = [a.filename for a in inbound.attachments.all()]
    body = inbound.text or "(no text)"
    if files:
        body += "\n\nAttached: " + ", ".join(files)
    sender = {"from_email": inbound.from_email, "inbound_email_id": inbound.pk}
    returns.return_add_message(return_request=rr, by=Actor.customer(), body=body, data=sender)
    if rr.status == ReturnStatus.NEEDS_INFO:
        returns.return_info_received(return_request=rr, by=Actor.customer(), message="Answered by email.")


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def on_anymail_inbound(sender, event, esp_name, **kwargs) -> None:
    # Anymail's message is the older email API; parse its bytes with the modern one we read.
    inbound_email_receive(message=parse(event.message.as_bytes()), source=esp_name.lower())
