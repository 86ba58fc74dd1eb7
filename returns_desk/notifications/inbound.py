"""Email from customers: filed on the right return, or left in the triage list for a person.

A message is filed on a return when it answers one of our emails (In-Reply-To / References) or names
an RMA number in its subject, and only when it comes from that return's customer: anyone can type an
RMA number, so a stranger's email goes to triage instead.
"""

import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.returns import services as returns
from returns_desk.returns.models import ReturnRequest, ReturnStatus
from returns_desk.staff.roles import is_agent

from .models import InboundAttachment, InboundEmail, OutboundEmail

RMA_IN_SUBJECT = re.compile(r"\bRMA-\d{6,}\b", re.IGNORECASE)
QUOTE_HEADER = re.compile(r"^\s*On .{5,200} wrote:\s*$")


def _reply_text(message: EmailMessage) -> str:
    """The new part of a reply: the text body without the quoted thread below it."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
    kept = []
    for line in text.splitlines():
        if QUOTE_HEADER.match(line) or line.startswith(">"):
            break
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _match(message: EmailMessage, sender: str) -> tuple[ReturnRequest | None, str]:
    ids = re.findall(r"<[^>]+>", f"{message.get('In-Reply-To', '')} {message.get('References', '')}")
    rr = None
    how = ""
    if ids:
        email = OutboundEmail.objects.filter(message_id__in=ids).select_related("return_request").first()
        if email and email.return_request:
            rr, how = email.return_request, "answers our email"
    if rr is None:
        found = RMA_IN_SUBJECT.search(message.get("Subject", ""))
        if found:
            rr = ReturnRequest.objects.filter(rma_number=found.group(0).upper()).first()
            how = f"names {found.group(0).upper()}"
    if rr is None:
        return None, "no return matched"
    if rr.email.lower() != sender.lower():
        return None, f"{how}, but comes from {sender}, not the return's customer"
    return rr, how


def inbound_email_receive(*, message: EmailMessage, source: str) -> InboundEmail:
    """Store an email once, file it on its return (answering an information request moves it on)."""
    sender = parseaddr(message.get("From", ""))[1]
    message_id = (message.get("Message-ID") or "").strip()
    if not message_id:
        message_id = "<sha256-" + hashlib.sha256(message.as_bytes()).hexdigest()[:32] + "@inbound>"
    existing = InboundEmail.objects.filter(message_id=message_id).first()
    if existing:
        return existing  # delivered twice (a webhook retry, a mailbox read again)
    rr, how = _match(message, sender)
    text = _reply_text(message)
    try:
        with transaction.atomic():
            inbound = InboundEmail.objects.create(
                message_id=message_id,
                from_email=sender or "unknown@invalid",
                subject=message.get("Subject", "")[:255],
                text=text,
                in_reply_to=(message.get("In-Reply-To") or "")[:255],
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
                _file_on_return(inbound, rr)
    except IntegrityError:
        return InboundEmail.objects.get(message_id=message_id)
    return inbound


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


def _file_on_return(inbound: InboundEmail, rr: ReturnRequest) -> None:
    files = [a.filename for a in inbound.attachments.all()]
    body = inbound.text or "(no text)"
    if files:
        body += "\n\nAttached: " + ", ".join(files)
    returns.return_add_message(return_request=rr, by=Actor.customer(), body=body)
    if rr.status == ReturnStatus.NEEDS_INFO:
        returns.return_info_received(return_request=rr, by=Actor.customer(), message="Answered by email.")


def inbound_file_from_triage(*, inbound: InboundEmail, rma_number: str, by: Actor) -> InboundEmail:
    """A person decides which return a triaged email belongs to."""
    if not (by.kind == Actor.STAFF and is_agent(by.user)):
        raise ServiceError("Only desk staff can file emails.")
    rr = ReturnRequest.objects.filter(rma_number=rma_number.strip().upper()).first()
    if rr is None:
        raise ServiceError(f"No return {rma_number.strip().upper()}.")
    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if inbound.status == InboundEmail.Status.FILED:
            raise ServiceError("This email was already filed.")
        inbound.return_request, inbound.status = rr, InboundEmail.Status.FILED
        inbound.note = f"filed by {by.label}"
        inbound.save(update_fields=["return_request", "status", "note"])
        _file_on_return(inbound, rr)
    return inbound


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def on_anymail_inbound(sender, event, esp_name, **kwargs) -> None:
    # Anymail's message is the older email API; parse its bytes with the modern one we read.
    inbound_email_receive(message=parse(event.message.as_bytes()), source=esp_name.lower())
