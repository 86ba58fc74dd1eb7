"""What a person does with an email no return claimed: file it on a return, answer its sender, open a return
for the sender's order (and file it there), or dismiss it with a reason. A dismissed email is kept."""

import hashlib
from collections.abc import Sequence
from email.utils import make_msgid
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.orders.models import Order
from returns_desk.returns import services as returns
from returns_desk.returns.models import ReturnRequest
from returns_desk.staff.roles import is_agent

from .inbound import inbound_file_on_return
from .matching import rma_numbers_in
from .models import InboundEmail, OutboundEmail
from .services import plain_text


def _desk_only(by: Actor, what: str) -> None:
    if not (by.kind == Actor.STAFF and is_agent(by.user)):
        raise ActionForbidden(f"Only desk staff can {what}.")


def _lock_waiting(inbound: InboundEmail) -> InboundEmail:
    """The email, locked, while it still waits in triage; refused once someone else dealt with it."""
    locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
    if locked.status == InboundEmail.Status.FILED:
        raise ServiceError("This email was already filed.")
    if locked.status == InboundEmail.Status.DISMISSED:
        raise ServiceError("This email was already dismissed.")
    return locked


def _file(inbound: InboundEmail, rr: ReturnRequest, by: Actor) -> InboundEmail:
    inbound.return_request, inbound.status = rr, InboundEmail.Status.FILED
    inbound.note = f"filed by {by.label}"
    inbound.save(update_fields=["return_request", "status", "note"])
    inbound_file_on_return(inbound, rr)
    return inbound


def inbound_file_from_triage(*, inbound: InboundEmail, rma_number: str, by: Actor) -> InboundEmail:
    """A person decides which return a triaged email belongs to; the RMA in any common form ("RMA 123", "#123")."""
    _desk_only(by, "file emails")
    typed = rma_number.strip()
    if not typed:
        raise ServiceError("Type the return's RMA number, for example RMA-000123.")
    numbers = rma_numbers_in(typed) or rma_numbers_in(f"RMA {typed}")
    if not numbers:
        raise ServiceError(f"“{typed[:40]}” is not an RMA number: type it as RMA-000123, RMA 123 or 123.")
    rr = ReturnRequest.objects.filter(rma_number=numbers[0]).first()
    if rr is None:
        raise ServiceError(f"No return {numbers[0]}.")
    with transaction.atomic():
        return _file(_lock_waiting(inbound), rr, by)


def inbound_dismiss(*, inbound: InboundEmail, reason: str, by: Actor) -> InboundEmail:
    """Take an email out of triage without filing it (spam, a supplier, nothing to do); kept with the reason."""
    _desk_only(by, "dismiss emails")
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError("Say why the email needs nothing more, for example “spam” or “answered by phone”.")
    with transaction.atomic():
        inbound = _lock_waiting(inbound)
        inbound.status = InboundEmail.Status.DISMISSED
        inbound.dismissed_reason, inbound.dismissed_by, inbound.dismissed_at = reason[:255], by.user, clock.now()
        inbound.save(update_fields=["status", "dismissed_reason", "dismissed_by", "dismissed_at"])
    return inbound


def inbound_reply(*, inbound: InboundEmail, body: str, by: Actor) -> OutboundEmail:
    """Answer a triaged email's sender through the outbox, threaded under their message. The email stays in
    triage (the answer is often a question: which order?); the same text sent twice is queued once."""
    _desk_only(by, "answer emails")
    body = body.strip()
    if not body:
        raise ServiceError("Write the reply first.")
    subject = inbound.subject or "Your email"
    context = {"body": body, "shop_name": settings.SHOP_NAME, "inbound": inbound}
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    candidate = OutboundEmail(
        inbound=inbound,
        return_request=inbound.return_request,
        event_key=f"inbound-reply:{inbound.pk}:{digest}",
        kind="inbox_reply",
        to_email=inbound.from_email,
        subject=subject if subject.lower().startswith("re:") else f"Re: {subject}",
        text_body=plain_text("email/inbox_reply/body.txt", context),
        html_body=render_to_string("email/inbox_reply/body.html", context),
        message_id=make_msgid("inbox-reply", domain=urlparse(settings.SITE_URL).hostname or "returns.local"),
        in_reply_to=inbound.message_id,
        references=inbound.message_id,
        created_at=clock.now(),
    )
    with transaction.atomic():
        OutboundEmail.objects.bulk_create([candidate], ignore_conflicts=True)
        email = OutboundEmail.objects.get(event_key=candidate.event_key)
        if email.message_id == candidate.message_id:
            enqueue_on_commit("returns_desk.notifications.tasks.send_email", email.pk)
    return email


def inbound_start_return(
    *,
    inbound: InboundEmail,
    order: Order,
    items: Sequence[returns.RequestedItem],
    resolution: str,
    by: Actor,
    note: str = "",
) -> ReturnRequest:
    """Open a return for the sender's order on their behalf (checked against the policy like any other)
    and file the email on it; both or neither."""
    _desk_only(by, "open returns from email")
    with transaction.atomic():
        inbound = _lock_waiting(inbound)
        rr = returns.return_create(order=order, items=items, resolution=resolution, by=by, note=note)
        _file(inbound, rr, by)
    return rr
