"""Writes about staff members' own desk settings."""

from .models import StaffProfile


def staff_set_email_on_customer_reply(*, user, enabled: bool) -> StaffProfile:
    """A staff member chooses whether a customer's message on a ticket they answer also reaches them by email.
    (Their refund limit stays a manager's decision, in admin.)"""
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    if profile.email_on_customer_reply != enabled:
        profile.email_on_customer_reply = enabled
        profile.save(update_fields=["email_on_customer_reply"])
    return profile
