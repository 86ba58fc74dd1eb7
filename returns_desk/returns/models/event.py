"""The return's timeline: append-only evidence of everything that happened to it, and who did it."""

from django.conf import settings
from django.db import models

from returns_desk.core import clock
from returns_desk.core.actors import display_name
from returns_desk.returns.models.choices import ReturnStatus
from returns_desk.returns.models.return_request import ReturnRequest


class AppendOnlyQuerySet(models.QuerySet):
    """The timeline is evidence (disputes, audits): rows are added, never changed or removed."""

    def update(self, **kwargs):
        raise TypeError("ReturnEvent rows are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("ReturnEvent rows are append-only; they cannot be deleted.")


class ReturnEvent(models.Model):
    class Kind(models.TextChoices):
        TRANSITION = "transition", "Status change"
        MESSAGE = "message", "Message"
        NOTE = "note", "Internal note"
        EMAIL = "email", "Email sent"
        REFUND = "refund", "Refund event"
        DISPUTE = "dispute", "Dispute event"
        ASSIGNMENT = "assignment", "Assignment"

    class ActorKind(models.TextChoices):
        STAFF = "staff", "Staff"
        CUSTOMER = "customer", "Customer"
        SYSTEM = "system", "System"
        STRIPE = "stripe", "Stripe"

    return_request = models.ForeignKey(ReturnRequest, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=20, choices=ReturnStatus.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ReturnStatus.choices, blank=True)
    body = models.TextField(blank=True)
    visible_to_customer = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["return_request", "created_at"])]

    def __str__(self) -> str:
        what = self.transition or self.get_kind_display()
        return f"{self.return_request_id}: {what} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("ReturnEvent rows are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ReturnEvent rows are append-only; they cannot be deleted.")

    @property
    def customer_text(self) -> str:
        """What the customer reads for this event: their own words where the desk wrote some apart."""
        return (self.data or {}).get("customer_body") or self.body

    @property
    def actor_label(self) -> str:
        """Who wrote or did this; an emailed message from another address than the customer's names it.

        The sender is read from `data` only when it was loaded: a page that defers `data` gets no query per row.
        """
        if self.actor_user_id:
            return display_name(self.actor_user)
        if self.actor_kind == "customer" and self.kind == "message" and "data" not in self.get_deferred_fields():
            sender = (self.data or {}).get("from_email", "")
            if sender and sender.strip().lower() != self.return_request.email.strip().lower():
                return f"{sender} (not the customer's address)"
        return {"customer": "Customer", "system": "System", "stripe": "Stripe"}.get(self.actor_kind, self.actor_kind)
