"""Sending the outbox. Safe to run twice: a sent email is never sent again."""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from returns_desk.core import clock
from returns_desk.documents.rendering import file_name
from returns_desk.documents.services import document_current
from returns_desk.returns.models import ReturnRequest

from .models import OutboundEmail
from .services import email_claim, email_mark_failed, email_mark_sent, email_queue, emails_due

log = logging.getLogger(__name__)


def build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = {"Message-ID": email.message_id}
    if email.in_reply_to:
        headers["In-Reply-To"] = email.in_reply_to
        headers["References"] = email.references or email.in_reply_to
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_email],
        headers=headers,
        reply_to=[settings.RETURNS_REPLY_TO_EMAIL] if settings.RETURNS_REPLY_TO_EMAIL else None,
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    if email.attach_documents and email.return_request_id:
        for kind in email.attach_documents:
            document = document_current(return_id=email.return_request_id, kind=kind)
            with document.file.open("rb") as handle:
                message.attach(file_name(document.return_request, kind), handle.read(), "application/pdf")
    return message


def send_email(email_id: int) -> str:
    email = email_claim(email_id=email_id)
    if email is None:
        return f"email {email_id}: already sent, given up, or being sent"
    try:
        build_message(email).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any failure to hand over is retried and recorded
        email_mark_failed(email_id=email.pk, error=f"{type(error).__name__}: {error}")
        return f"email {email_id}: {error}"
    email_mark_sent(email_id=email.pk)
    return f"email {email_id}: sent"


def send_due_emails() -> str:
    """Periodic sweep: sends what is due, including emails whose worker died mid-send."""
    due = emails_due()
    for email_id in due:
        send_email(email_id)
    return f"{len(due)} email(s) attempted"


def _remind(kind: str, statuses, days: float, **only) -> str:
    cutoff = clock.now() - dt.timedelta(days=days)
    due = (
        ReturnRequest.objects.filter(status__in=statuses, status_changed_at__lte=cutoff, **only)
        .exclude(emails__kind=kind)
        .select_related("order")
        .order_by("pk")[:500]
    )
    count = 0
    for rr in due:
        email_queue(return_request=rr, kind=kind, event_key=f"{rr.rma_number}:{kind}")
        count += 1
    return f"queued {count} {kind}"


def send_ship_reminders() -> str:
    # A customer who keeps the item (a returnless refund) has nothing to send back.
    return _remind("ship_reminder", ["approved"], settings.SHIP_REMINDER_AFTER_DAYS, returnless=False)


def send_followups() -> str:
    return _remind("resolved_followup", ["resolved"], settings.FOLLOWUP_AFTER_DAYS)


def send_survey_invitations() -> str:
    return _remind("survey_invitation", ["resolved"], settings.SURVEY_AFTER_DAYS)
