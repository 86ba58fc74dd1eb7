"""Rows the floor below every app keeps for all of them."""

from django.db import models

from returns_desk.core import clock


class WebhookReceipt(models.Model):
    """One use of a webhook signature's token (Mailgun's token, the order push's signature): kept so that the
    same signature sent again is refused. Purged once older than the signature window (`webhook_receipts`)."""

    source = models.CharField(max_length=20, help_text='Who signed it: "mailgun", "shop".')
    token = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["source", "token"], name="webhook_receipt_once")]

    def __str__(self) -> str:
        return f"{self.source} {self.token[:16]}…"
