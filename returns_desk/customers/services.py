"""Writes about a customer that need nothing above this floor: the data-rights audit log, the erased placeholder.

Exporting and erasing a customer's data read and change returns, payments and emails, so that work lives on the
desk's floor (`returns_desk.desk.customer_data`); it records each request here.
"""

import secrets
from collections.abc import Callable

from returns_desk.core.erasure import ERASED_DOMAIN, is_erased_email

from .models import CustomerDataRequest, CustomerFlag

__all__ = ["ERASED_DOMAIN"]  # re-exported: the desk's erasure reads it from here


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def erased_placeholder() -> str:
    """The address an erased customer's rows carry from now on: one per erasure, derived from nothing of theirs."""
    return f"erased-{secrets.token_hex(8)}@{ERASED_DOMAIN}"


def is_erased(email: str) -> bool:
    return is_erased_email(email)


def customer_data_request_record(
    *, action: str, email: str, performed_by=None, reason: str = "", summary: dict | None = None
) -> CustomerDataRequest:
    """One line of the audit log: an export (of `email`) or an erasure (naming its placeholder)."""
    return CustomerDataRequest.objects.create(
        action=action,
        email=normalise_email(email),
        performed_by=performed_by,
        reason=reason.strip()[:255],
        summary=summary or {},
    )


def customer_data_requests_forget(*, email: str, placeholder: str, redact: Callable[[str], str] = str) -> int:
    """An erased customer's earlier exports now name the placeholder, not the address; `redact` takes their name
    out of the reasons given."""
    earlier = list(CustomerDataRequest.objects.filter(email__iexact=normalise_email(email)))
    for entry in earlier:
        entry.email, entry.reason = placeholder, redact(entry.reason)
    CustomerDataRequest.objects.bulk_update(earlier, ["email", "reason"])
    return len(earlier)


def customer_flags_forget(*, email: str) -> int:
    """The desk's flag on an erased customer (and its note about them) goes with the rest of their data."""
    deleted, _ = CustomerFlag.objects.filter(email=normalise_email(email)).delete()
    return deleted
