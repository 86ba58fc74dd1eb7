"""Reads of shop data."""

import re

from django.conf import settings
from django.db.models import Q
from django.utils.crypto import constant_time_compare

from .models import Order

# Dashes people paste from documents and phones: en and em dash, minus sign, non-breaking hyphen.
_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2212]")
_SPACES_AND_HASHES = re.compile(r"[\s#]+")


def normalise_order_number(raw: str) -> str:
    """What customers type, cleaned: "# so-100123 " → "SO-100123". No spaces or '#', one kind of dash, capitals."""
    return _SPACES_AND_HASHES.sub("", _DASHES.sub("-", raw or "")).upper()


def order_number_candidates(raw: str, *, prefix: str | None = None) -> list[str]:
    """The numbers a typed order number may mean, the shop's own form last.

    The shop prints its numbers with a prefix ("SO-100123", `PORTAL_ORDER_NUMBER_PREFIX`), while people
    often type only the digits ("100123") or leave out the dash ("SO100123"); both find "SO-100123". An
    order imported without the prefix still matches its digits as typed.
    """
    cleaned = normalise_order_number(raw)
    if not cleaned:
        return []
    prefix = normalise_order_number(settings.PORTAL_ORDER_NUMBER_PREFIX if prefix is None else prefix)
    letters = prefix.rstrip("-")
    candidates = [cleaned]
    if prefix and cleaned.isdigit():
        candidates.append(prefix + cleaned)
    elif letters != prefix and cleaned.startswith(letters) and cleaned[len(letters) :].isdigit():
        candidates.append(prefix + cleaned[len(letters) :])
    return candidates


def canonical_order_number(raw: str) -> str:
    """One spelling per order number, whichever way it was typed: what lookup limits count against."""
    candidates = order_number_candidates(raw)
    return candidates[-1] if candidates else ""


def order_for_customer(*, number: str, email: str) -> Order | None:
    """The order only when both the number and its email match; None otherwise, whichever was wrong."""
    matching = Q()
    for candidate in order_number_candidates(number):
        matching |= Q(number__iexact=candidate)
    orders = list(Order.objects.filter(matching)[:2]) if matching else []
    supplied = email.strip().lower()
    found = None
    for order in orders:
        if constant_time_compare(order.email.strip().lower(), supplied):
            found = order
    if not orders:
        constant_time_compare("no-such-order@invalid", supplied)  # the same work when no number matched
    return found
