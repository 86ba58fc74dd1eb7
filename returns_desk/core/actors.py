"""Who did something: a staff user, the customer, the system (schedules, policy) or Stripe."""

from dataclasses import dataclass
from typing import Any


def display_name(user) -> str:
    """How a person is named on every page, email and timeline entry: their full name, else their login."""
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class Actor:
    kind: str
    user: Any = None

    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"
    STRIPE = "stripe"

    @classmethod
    def staff(cls, user) -> "Actor":
        return cls(cls.STAFF, user)

    @classmethod
    def customer(cls) -> "Actor":
        return cls(cls.CUSTOMER)

    @classmethod
    def system(cls) -> "Actor":
        return cls(cls.SYSTEM)

    @classmethod
    def stripe(cls) -> "Actor":
        return cls(cls.STRIPE)

    @property
    def label(self) -> str:
        if self.kind == self.STAFF and self.user is not None:
            return display_name(self.user)
        return {self.CUSTOMER: "the customer", self.SYSTEM: "the system", self.STRIPE: "Stripe"}.get(
            self.kind, self.kind
        )
