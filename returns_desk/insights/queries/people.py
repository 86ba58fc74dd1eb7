"""The people behind the returns: what each agent got done in the period, and customers who return a lot."""

import datetime as dt

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Sum

from returns_desk.core import clock
from returns_desk.returns.models import ReturnItem, ReturnRequest

from .period import Period


def agent_throughput(period: Period) -> list[dict]:
    """Per VA, from the returns they own: first responses, inspections and resolutions in the period."""
    returns = ReturnRequest.objects.filter(assignee__isnull=False).filter(
        period.within("first_response_at") | period.within("inspected_at") | period.within("resolved_at")
    )
    if period.category:
        returns = returns.filter(
            Exists(ReturnItem.objects.filter(return_request=OuterRef("pk"), order_line__category=period.category))
        )
    return list(
        returns.values("assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(
            first_responses=Count("pk", filter=period.within("first_response_at")),
            inspections=Count("pk", filter=period.within("inspected_at")),
            resolved=Count("pk", filter=period.within("resolved_at")),
        )
        .order_by("-resolved", "assignee__username")
    )


def serial_returners(*, days: int | None = None, at_least: int | None = None, limit: int = 20) -> list[dict]:
    """Customers with many returns lately (the same rule that flags their tickets and holds auto-approval)."""
    days = days or settings.SERIAL_RETURNER_DAYS
    at_least = at_least or settings.SERIAL_RETURNER_RETURNS
    since = clock.now() - dt.timedelta(days=days)
    return list(
        ReturnRequest.objects.filter(created_at__gte=since)
        .values("email")
        .annotate(returns=Count("pk"), value=Sum("quoted_amount"))
        .filter(returns__gte=at_least)
        .order_by("-returns", "email")[:limit]
    )
