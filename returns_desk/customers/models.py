from django.conf import settings
from django.db import models

from returns_desk.core import clock
from returns_desk.core.actors import display_name


class CustomerFlag(models.Model):
    """Something the desk should know about a customer (by email) before acting on their return."""

    class Kind(models.TextChoices):
        WATCH = "watch", "Watch: many returns or suspected abuse"
        BLOCK = "block", "Block auto-approval"
        ALLOW = "allow", "Trusted: auto-approve"

    email = models.EmailField(unique=True, help_text="Stored in lower case.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WATCH)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    FLAGGED = (Kind.WATCH, Kind.BLOCK)  # what the desk's "flagged customer" filter and badge mean

    class Meta:
        db_table = "desk_customerflag"  # the table it had in the desk app; the model moved, the rows did not
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class CustomerDataRequest(models.Model):
    """The audit log of a customer's data rights: each export and erasure of what is held about one email.

    An erasure's row names the placeholder the customer's address became, never the address itself; the exports
    made before it are rewritten to that placeholder too, so the log keeps no trace of an erased address.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Exported"
        ERASE = "erase", "Erased"

    action = models.CharField(max_length=10, choices=Action.choices)
    email = models.EmailField(db_index=True, help_text="The customer's address; after an erasure, its placeholder.")
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the retention schedule.",
    )
    reason = models.CharField(max_length=255, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="What was exported or erased, counted.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.email} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def performed_by_label(self) -> str:
        return display_name(self.performed_by) if self.performed_by else "Retention schedule"
