"""Writes to the return policy."""

from django.db import transaction

from .models import ReturnPolicy


def policy_activate(*, policy: ReturnPolicy) -> ReturnPolicy:
    """Make this the one active policy; the switch is atomic, so there is never none or two."""
    with transaction.atomic():
        ReturnPolicy.objects.select_for_update().filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
        ReturnPolicy.objects.filter(pk=policy.pk).update(is_active=True)
    policy.is_active = True
    return policy
