"""How long the period's returns took: median time between two milestones, and SLA compliance per stage."""

import datetime as dt

from django.db.models import Count, Q

from returns_desk.insights.sqlfunctions import EpochSeconds
from returns_desk.policies.models import ReturnPolicy

from .period import Period, returns_in


def _seconds_between(start_field: str, end_field: str):
    return EpochSeconds(end_field) - EpochSeconds(start_field)


def median_duration(period: Period, start_field: str, end_field: str) -> dt.timedelta | None:
    """The median of end − start over the period's returns that reached both: the database sorts the spans and
    hands back the middle one (or two); only they cross to Python."""
    spans = (
        returns_in(period)
        .filter(**{f"{start_field}__isnull": False, f"{end_field}__isnull": False})
        .annotate(span=_seconds_between(start_field, end_field))
    )
    total = spans.count()
    if not total:
        return None
    middle = list(spans.order_by("span").values_list("span", flat=True)[(total - 1) // 2 : total // 2 + 1])
    return dt.timedelta(seconds=sum(middle) / len(middle))


def sla_compliance(period: Period, policy: ReturnPolicy) -> dict[str, tuple[int, int]]:
    """Per stage: (done within the policy's target, done at all) for the period's returns."""
    hour = 3600
    figures = (
        returns_in(period)
        .annotate(
            first_span=_seconds_between("created_at", "first_response_at"),
            inspection_span=_seconds_between("received_at", "inspected_at"),
            refund_span=_seconds_between("inspected_at", "resolved_at"),
        )
        .aggregate(
            first_done=Count("pk", filter=Q(first_response_at__isnull=False)),
            first_ok=Count("pk", filter=Q(first_span__lte=policy.sla_first_response_hours * hour)),
            inspection_done=Count("pk", filter=Q(received_at__isnull=False, inspected_at__isnull=False)),
            inspection_ok=Count("pk", filter=Q(inspection_span__lte=policy.sla_inspection_hours * hour)),
            refund_done=Count("pk", filter=Q(inspected_at__isnull=False, resolved_at__isnull=False)),
            refund_ok=Count("pk", filter=Q(refund_span__lte=policy.sla_refund_hours * hour)),
        )
    )
    return {
        "first_response": (figures["first_ok"], figures["first_done"]),
        "inspection": (figures["inspection_ok"], figures["inspection_done"]),
        "refund": (figures["refund_ok"], figures["refund_done"]),
    }
