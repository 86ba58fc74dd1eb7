"""Reads of the return policy."""

from django.core.exceptions import ImproperlyConfigured

from returns_desk.core.request_memo import remembered

from .models import ReturnPolicy


def active_policy() -> ReturnPolicy:
    """The policy in force; read once per web request (a page asks several times)."""
    return remembered("active_policy", _load_active_policy)


def _load_active_policy() -> ReturnPolicy:
    policy = ReturnPolicy.objects.filter(is_active=True).first()
    if policy is None:
        raise ImproperlyConfigured("No active return policy. Load fixtures/policy.json or create one in admin.")
    return policy
