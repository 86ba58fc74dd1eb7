"""Whether a new return may be approved without a VA: the policy says so, unless the customer's standing (the
allow, block and watch list, and how often they returned lately) says otherwise."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from returns_desk.core import clock
from returns_desk.customers.models import CustomerFlag
from returns_desk.customers.selectors import customer_flag

from .models import ReturnRequest


@dataclass(frozen=True)
class Standing:
    """What the desk knows about a customer before acting: a flag, and how often they return lately."""

    flag: CustomerFlag | None
    recent_returns: int
    days: int
    serial_threshold: int

    @property
    def serial(self) -> bool:
        return self.recent_returns >= self.serial_threshold

    def auto_approval(self, policy_allows: bool) -> tuple[bool, str]:
        """Whether a new return may be approved without a VA, and if not (while the policy would), why."""
        if self.flag and self.flag.kind == CustomerFlag.Kind.BLOCK:
            return False, "Not approved automatically: the customer is on the block list."
        if self.flag and self.flag.kind == CustomerFlag.Kind.ALLOW:
            return True, ""
        if self.serial and policy_allows:
            return False, (
                f"Not approved automatically: {self.recent_returns} returns in {self.days} days (serial returner)."
            )
        return policy_allows, ""


def customer_standing(email: str, *, count_returns: bool = True) -> Standing:
    """`count_returns=False` skips counting when nothing would depend on it (auto-approval is off)."""
    days = settings.SERIAL_RETURNER_DAYS
    since = clock.now() - dt.timedelta(days=days)
    recent = ReturnRequest.objects.filter(email=email, created_at__gte=since).count() if count_returns else 0
    return Standing(customer_flag(email), recent, days, settings.SERIAL_RETURNER_RETURNS)
