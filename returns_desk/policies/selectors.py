"""Reads of the return policy."""

from django.core.exceptions import ImproperlyConfigured

from .models import ReturnPolicy


def active_policy() -> ReturnPolicy:
    policy = ReturnPolicy.objects.filter(is_active=True).first()
    if policy is None:
        raise ImproperlyConfigured("No active return policy. Load fixtures/policy.json or create one in admin.")
    return policy
