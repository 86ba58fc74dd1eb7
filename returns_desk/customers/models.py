from django.conf import settings
from django.db import models


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
