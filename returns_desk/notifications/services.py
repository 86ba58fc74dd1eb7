"""The email outbox: queue in the caller's transaction, send from a task, never lose or double an email."""

import datetime as dt
import uuid
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template, render_to_string

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.tasks import enqueue_later, enqueue_on_commit
from returns_desk.documents.rendering import status_url
from returns_desk.returns.events import DeskMessageRecorded, SlaBreached, TransitionRecorded
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from returns_desk.returns.services import record_event, record_events
from returns_desk.staff.roles import MANAGERS

from .email_context import context_for
from .models import OutboundEmail
from .transition_emails import transition_email

RETRY_DELAYS_SECONDS = [60, 300, 1800, 7200]


def plain_text(template_name: str, context: dict) -> str:
    """A plain-text email part: nothing HTML-escaped (a customer's "can't" stays "can't", not "can&#x27;t")."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def _message_id(rr: ReturnRequest | None, kind: str) -> str:
    domain = urlparse(settings.SITE_URL).hostname or "returns.local"
    prefix = f"{rr.rma_number}.{kind}" if rr else kind
    return f"<{prefix}.{uuid.uuid4().hex[:16]}@{domain}>"


def email_queue(
    *,
    return_request: ReturnRequest,
    kind: str,
    event_key: str,
    extra: dict | None = None,
    attach: tuple[str, ...] = (),
) -> OutboundEmail:
    """Write one email to the outbox (once per event key) and send it when the transaction commits.

    Runs inside the caller's transaction, so it only renders and inserts; threading headers are
    worked out when the email is first sent (see `email_claim`).
    """
    rr = return_request
    extra = extra or {}
    context = {
        "rr": rr,
        "shop_name": settings.SHOP_NAME,
        "status_url": status_url(rr),
        **context_for(kind, rr, extra.get("event")),
        **extra,
    }
    subject = " ".join(plain_text(f"email/{kind}/subject.txt", context).split())
    candidate = OutboundEmail(
        return_request=rr,
        event_key=event_key,
        kind=kind,
        to_email=rr.email,
        subject=f"{subject} [{rr.rma_number}]",
        text_body=plain_text(f"email/{kind}/body.txt", context),
        html_body=render_to_string(f"email/{kind}/body.html", context),
        attach_documents=list(attach),
        message_id=_message_id(rr, kind),
        created_at=clock.now(),
    )
    # ON CONFLICT DO NOTHING: a twin with the same event key (a repeat, a concurrent run) keeps its row.
    OutboundEmail.objects.bulk_create([candidate], ignore_conflicts=True)
    email = OutboundEmail.objects.get(event_key=event_key)
    if email.message_id == candidate.message_id:
        enqueue_on_commit("returns_desk.notifications.tasks.send_email", email.pk)
    return email


def _thread_headers(email: OutboundEmail) -> tuple[str, str]:
    """In-Reply-To and References: the return's earlier emails, so a mail client shows one thread."""
    earlier = list(
        OutboundEmail.objects.filter(return_request_id=email.return_request_id, created_at__lte=email.created_at)
        .exclude(pk=email.pk)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    return (earlier[-1] if earlier else ""), " ".join(earlier[-10:])


def email_for_transition(recorded: TransitionRecorded) -> None:
    """Queue the customer's email for a transition, inside its transaction (`TransitionRecorded`); which one,
    or why none, is the table in `transition_emails`."""
    return_request, transition, event = recorded.return_request, recorded.transition, recorded.event
    kind, attach = transition_email(transition, return_request, event)
    if not kind:
        return
    if return_request.returnless:
        attach = ()
    email_queue(
        return_request=return_request,
        kind=kind,
        event_key=f"{return_request.rma_number}:{kind}:{event.pk}",
        extra={"event": event},
        attach=attach,
    )


def email_for_desk_message(recorded: DeskMessageRecorded) -> None:
    """A VA's reply reaches the customer by email too, threaded with the return's other emails."""
    return_request, event = recorded.return_request, recorded.event
    email_queue(
        return_request=return_request,
        kind="desk_message",
        event_key=f"{return_request.rma_number}:desk_message:{event.pk}",
        extra={"event": event},
    )


def email_send_again(*, email_id: int) -> OutboundEmail:
    """A manager sends an email again (it gave up, or the customer says it never came): the same message,
    Message-ID included, queued now with a fresh round of retries."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        if email.status == OutboundEmail.Status.SENDING and email.sending_until and email.sending_until > clock.now():
            return email  # a worker is sending it right now
        email.status, email.attempts, email.next_attempt_at = OutboundEmail.Status.QUEUED, 0, clock.now()
        email.sending_until = None
        email.save(update_fields=["status", "attempts", "next_attempt_at", "sending_until"])
        enqueue_on_commit("returns_desk.notifications.tasks.send_email", email.pk)
    return email


def email_claim(*, email_id: int) -> OutboundEmail | None:
    """Take a short lease on a queued email; None when it was sent, gave up, or another worker holds it."""
    now = clock.now()
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None or email.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED):
            return None
        if email.status == OutboundEmail.Status.SENDING and email.sending_until and email.sending_until > now:
            return None
        email.status = OutboundEmail.Status.SENDING
        email.attempts += 1
        email.sending_until = now + dt.timedelta(minutes=settings.EMAIL_SEND_LEASE_MINUTES)
        if email.return_request_id and email.attempts == 1:
            # Fixed at the first attempt, like the Message-ID, so a resend is the same message.
            email.in_reply_to, email.references = _thread_headers(email)
        email.save(update_fields=["status", "attempts", "sending_until", "in_reply_to", "references"])
    return email


def email_mark_sent(*, email_id: int) -> None:
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        email.status, email.sent_at, email.sending_until, email.last_error = "sent", clock.now(), None, ""
        email.save(update_fields=["status", "sent_at", "sending_until", "last_error"])
        if email.return_request_id:
            record_event(
                return_request=email.return_request,
                kind=ReturnEvent.Kind.EMAIL,
                by=Actor.system(),
                body=f"Email sent to {email.to_email}: {email.subject}",
                data={"outbound_email_id": email.pk},
            )


def email_mark_failed(*, email_id: int, error: str) -> None:
    """Record a failed attempt; retry later with back-off, or give up after the last delay."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update().get(pk=email_id)
        email.last_error = error[:2000]
        email.sending_until = None
        if email.attempts <= len(RETRY_DELAYS_SECONDS):
            delay = RETRY_DELAYS_SECONDS[email.attempts - 1]
            email.status = OutboundEmail.Status.QUEUED
            email.next_attempt_at = clock.now() + dt.timedelta(seconds=delay)
            enqueue_later("returns_desk.notifications.tasks.send_email", email.pk, delay_seconds=delay)
        else:
            email.status = OutboundEmail.Status.FAILED
        email.save(update_fields=["last_error", "sending_until", "status", "next_attempt_at"])


def emails_due() -> list[int]:
    """Emails a worker should be sending now: queued and due, or 'sending' whose worker died (lease over)."""
    now = clock.now()
    queued = OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
    stalled = OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING, sending_until__lte=now)
    return list(queued.values_list("pk", flat=True)) + list(stalled.values_list("pk", flat=True))


def email_managers_sla_breaches(breached: SlaBreached) -> list[OutboundEmail]:
    """Tell every active manager, in one email per escalation run, which returns went past their SLA."""
    returns = breached.returns
    managers = (
        get_user_model()
        .objects.filter(Q(groups__name=MANAGERS) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .values_list("pk", "email")
        .distinct()
    )
    context = {"returns": returns, "shop_name": settings.SHOP_NAME, "site_url": settings.SITE_URL}
    body = plain_text("email/staff/sla_breaches.txt", context)
    run = f"{clock.now():%Y%m%d%H%M}:{returns[0].pk}"
    emails = []
    for manager_id, address in managers:
        email = OutboundEmail.objects.create(
            event_key=f"sla-breaches:{run}:{manager_id}",
            kind="sla_breaches",
            to_email=address,
            subject=f"{len(returns)} return(s) past their SLA",
            text_body=body,
            message_id=_message_id(None, "sla-breaches"),
        )
        enqueue_on_commit("returns_desk.notifications.tasks.send_email", email.pk)
        emails.append(email)
    return emails


def emails_record_delivered(*, return_request: ReturnRequest, after: dt.timedelta = dt.timedelta(seconds=5)) -> int:
    """Replaying history (the demo seeder): a return's queued emails were delivered shortly after
    they were written. Marks them sent then and adds their timeline entries, in bulk, sending nothing."""
    queued = list(OutboundEmail.objects.filter(return_request=return_request, status=OutboundEmail.Status.QUEUED))
    for email in queued:
        email.status, email.sent_at = OutboundEmail.Status.SENT, email.created_at + after
    OutboundEmail.objects.bulk_update(queued, ["status", "sent_at"])
    record_events(
        ReturnEvent(
            return_request=return_request,
            kind=ReturnEvent.Kind.EMAIL,
            actor_kind=Actor.SYSTEM,
            body=f"Email sent to {e.to_email}: {e.subject}",
            data={"outbound_email_id": e.pk},
            created_at=e.sent_at,
        )
        for e in queued
    )
    return len(queued)


def email_staff_customer_wrote(*, to, return_request: ReturnRequest, text: str) -> OutboundEmail:
    """A staff member who asked for it hears by email that a customer wrote on a ticket they answer."""
    context = {
        "text": text,
        "return_request": return_request,
        "ticket_url": f"{settings.SITE_URL}{return_request.get_absolute_url()}",
        "shop_name": settings.SHOP_NAME,
    }
    email = OutboundEmail.objects.create(
        event_key=f"customer-wrote:{return_request.pk}:{to.pk}:{clock.now():%Y%m%d%H%M%S%f}",
        kind="customer_wrote",
        to_email=to.email,
        subject=f"{return_request.rma_number}: the customer wrote",
        text_body=plain_text("email/staff/customer_wrote.txt", context),
        message_id=_message_id(None, "customer-wrote"),
    )
    enqueue_on_commit("returns_desk.notifications.tasks.send_email", email.pk)
    return email
