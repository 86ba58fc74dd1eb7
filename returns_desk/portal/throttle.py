"""Lookups are limited per email address and per order number, so nobody can try order numbers (or
addresses) one after another. Counts live in Django's cache: Redis in production, shared by every worker."""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"portal-lookup:{kind}:{digest}"


def lookup_allowed(*, email: str, order_number: str) -> bool:
    """Count this attempt against both keys; False once either has used up its allowance in the window."""
    limit = settings.PORTAL_LOOKUP_LIMIT
    window = settings.PORTAL_LOOKUP_WINDOW_SECONDS
    allowed = True
    for key in (_key("email", email), _key("order", order_number.lstrip("#"))):
        cache.add(key, 0, timeout=window)  # starts the window on the first attempt only
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
        allowed = allowed and count <= limit
    return allowed
