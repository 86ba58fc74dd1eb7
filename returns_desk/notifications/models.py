from django.conf import settings
from django.db import models
from django.db.models import Q

from returns_desk.core import clock


class OutboundEmail(models.Model):
    """One email, written in the same transaction as the change that caused it, sent later by a task.

    `event_key` is unique, so a cause can queue its email once; `message_id` is fixed when the row is
    written, so even the one resend a crash can cause carries the same Message-ID.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    return_request = models.ForeignKey(
        "returns.ReturnRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    inbound = models.ForeignKey(
        "InboundEmail",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
        help_text="The triaged email this answers, when a person replied to it from the inbox.",
    )
    event_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    attach_documents = models.JSONField(default=list, blank=True, help_text="Document kinds attached when sent.")
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sending_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=clock.now)
    created_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], condition=~Q(status="sent"), name="outbox_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.status})"


class InboundEmail(models.Model):
    """Every email the desk receives, stored once by Message-ID; filed on a return or left for triage."""

    class Status(models.TextChoices):
        FILED = "filed", "Filed on a return"
        TRIAGE = "triage", "Needs a person (no return matched)"
        DISMISSED = "dismissed", "Dismissed by a person (kept, not filed)"

    message_id = models.CharField(max_length=255, unique=True)
    from_email = models.EmailField()
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    return_request = models.ForeignKey(
        "returns.ReturnRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="inbound_emails"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.CharField(max_length=255, blank=True, help_text="Why it was filed where it was, or skipped files.")
    source = models.CharField(max_length=20, help_text="mailgun, maildir or imap")
    received_at = models.DateTimeField(default=clock.now)
    dismissed_reason = models.CharField(max_length=255, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.from_email}: {self.subject}"


class InboundAttachment(models.Model):
    inbound = models.ForeignKey(InboundEmail, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="inbound/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.filename
