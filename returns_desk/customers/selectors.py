"""Reads about a customer."""

from django.conf import settings

from .models import CustomerDataRequest, CustomerFlag


def customer_flag(email: str) -> CustomerFlag | None:
    return CustomerFlag.objects.filter(email=email.strip().lower()).first()


def customer_data_requests(*, limit: int = 20) -> list[CustomerDataRequest]:
    """The newest exports and erasures, with who made them."""
    return list(CustomerDataRequest.objects.select_related("performed_by")[:limit])


def retention_months() -> int:
    """Customers with no activity for this many months are erased by the daily task; 0: never."""
    return max(settings.CUSTOMER_RETENTION_MONTHS, 0)
