from django.conf import settings
from django.db import models


class StaffProfile(models.Model):
    """What the desk needs to know about a staff user beyond Django's auth."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    refund_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units this person may refund alone; empty = the policy's VA limit."
    )

    class Meta:
        db_table = "desk_staffprofile"  # the table it had in the desk app; the model moved, the rows did not

    def __str__(self) -> str:
        return f"Profile of {self.user}"
