from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """What the desk needs to know about a staff user beyond Django's auth."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    refund_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units this person may refund alone; empty = the policy's VA limit."
    )
    email_on_customer_reply = models.BooleanField(
        default=False, help_text="Also email me when a customer writes on a ticket I am to answer."
    )

    class Meta:
        db_table = "desk_staffprofile"  # the table it had in the desk app; the model moved, the rows did not

    def __str__(self) -> str:
        return f"Profile of {self.user}"
