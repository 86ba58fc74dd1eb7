"""Reads about a customer."""

from .models import CustomerFlag


def customer_flag(email: str) -> CustomerFlag | None:
    return CustomerFlag.objects.filter(email=email.strip().lower()).first()
