"""The period (and category) every figure is asked for, and the period's returns."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.returns.models import ReturnItem, ReturnRequest


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    category: str = ""

    @property
    def since(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def until(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})

    @classmethod
    def default(cls) -> "Period":
        today = clock.today()
        return cls(start=today - dt.timedelta(days=89), end=today)


def returns_in(period: Period, field: str = "created_at"):
    """The returns whose `field` falls in the period (with an item of its category, if it names one)."""
    returns = ReturnRequest.objects.filter(period.within(field))
    if period.category:
        returns = returns.filter(
            Exists(ReturnItem.objects.filter(return_request=OuterRef("pk"), order_line__category=period.category))
        )
    return returns
