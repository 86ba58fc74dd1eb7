"""The retention schedule: a customer with no activity for CUSTOMER_RETENTION_MONTHS is erased, once a day.

Activity is anything of theirs in that time: an order placed or delivered, a return opened or changed, an entry
on one of their returns' timelines, an email from them, a store credit entry. A customer with an open return or
chargeback is never due. Off (0) by default: nothing is erased unless the shop sets a period.
"""

import calendar
import datetime as dt
import logging

from django.db.models import Max, Q
from django.db.models.functions import Coalesce, Lower

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.customers.selectors import retention_months
from returns_desk.customers.services import ERASED_DOMAIN
from returns_desk.notifications.models import InboundEmail
from returns_desk.orders.models import Order
from returns_desk.payments.models import Dispute, StoreCredit
from returns_desk.returns.models import OPEN_STATUSES, ReturnEvent, ReturnRequest

from .erase import customer_data_erase

log = logging.getLogger(__name__)

BATCH = 200  # erasures per run; a backlog (the first run after turning retention on) drains over the days


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day and time `months` calendar months earlier (the month's last day when it is shorter)."""
    years, month_index = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month_index + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _keys(queryset, field: str) -> set[str]:
    return set(queryset.annotate(key=Lower(field)).values_list("key", flat=True).distinct())


def _active_since(cutoff: dt.datetime) -> set[str]:
    """Every address (lower case) with activity since `cutoff`, or with something still open."""
    return (
        _keys(Order.objects.filter(Q(placed_at__gte=cutoff) | Q(delivered_at__gte=cutoff)), "email")
        | _keys(ReturnRequest.objects.filter(Q(updated_at__gte=cutoff) | Q(status__in=OPEN_STATUSES)), "email")
        | _keys(ReturnEvent.objects.filter(created_at__gte=cutoff), "return_request__email")
        | _keys(InboundEmail.objects.filter(received_at__gte=cutoff), "from_email")
        | _keys(StoreCredit.objects.filter(created_at__gte=cutoff), "email")
        | _keys(Dispute.objects.exclude(status__in=Dispute.FINAL_STATUSES), "order__email")
    )


def inactive_customers(*, cutoff: dt.datetime, limit: int = BATCH) -> list[str]:
    """Addresses (lower case) of customers, and of people who only emailed, with no activity since `cutoff`."""
    active = _active_since(cutoff)
    erased = f"@{ERASED_DOMAIN}"
    buyers = (
        Order.objects.annotate(key=Lower("email"))
        .exclude(key__endswith=erased)
        .values("key")
        .annotate(last=Max(Coalesce("delivered_at", "placed_at")))
        .filter(last__lt=cutoff)
        .values_list("key", flat=True)
    )
    writers = (
        InboundEmail.objects.annotate(key=Lower("from_email"))
        .exclude(key__endswith=erased)
        .values("key")
        .annotate(last=Max("received_at"))
        .filter(last__lt=cutoff)
        .values_list("key", flat=True)
    )
    due: list[str] = []
    for candidates in (buyers.order_by("key"), writers.order_by("key")):
        for key in candidates.iterator():
            if len(due) >= limit:
                return due
            if key not in active and key not in due:
                due.append(key)
    return due


def erase_inactive_customers() -> str:
    """Periodic (daily): erase the customers due under the retention setting; safe to run again at any time."""
    months = retention_months()
    if not months:
        return "retention off (CUSTOMER_RETENTION_MONTHS is 0)"
    erased = kept = 0
    for email in inactive_customers(cutoff=months_before(clock.now(), months)):
        try:
            customer_data_erase(email=email, by=Actor.system(), reason=f"no activity for {months} months")
        except ServiceError as error:  # something of theirs became active meanwhile
            kept += 1
            log.info("Retention: a customer was not erased: %s", type(error).__name__)
        else:
            erased += 1
    return f"erased {erased} customer(s) with no activity for {months} months; {kept} kept"
