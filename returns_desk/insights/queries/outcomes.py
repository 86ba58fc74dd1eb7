"""Why customers return (the reasons given for the period's items), and how the period's returns ended."""

from django.db.models import Count, Q, Sum

from returns_desk.policies.models import ReasonCode
from returns_desk.returns.models import Resolution, ReturnItem
from returns_desk.returns.models import ReturnStatus as S

from .period import Period, returns_in


def reasons(period: Period) -> list[dict]:
    items = ReturnItem.objects.filter(period.within("return_request__created_at"))
    if period.category:
        items = items.filter(order_line__category=period.category)
    # Grouped by the reason's id only (the join to the few reason codes made SQLite plan it inside out).
    counted = list(
        items.values("reason_id").annotate(units=Sum("quantity"), returns=Count("return_request", distinct=True))
    )
    names = {pk: (code, label) for pk, code, label in ReasonCode.objects.values_list("pk", "code", "label")}
    rows = [{"reason__code": names[r["reason_id"]][0], "reason__label": names[r["reason_id"]][1], **r} for r in counted]
    return sorted(rows, key=lambda r: (-r["units"], r["reason__label"]))


def resolution_mix(period: Period) -> dict[str, int]:
    """How the period's returns ended (or that they have not yet)."""
    resolved = Q(resolved_at__isnull=False)
    rejected = Q(rejected_at__isnull=False)
    ended_unresolved = Q(status__in=[S.CANCELLED, S.CLOSED]) & Q(resolved_at__isnull=True) & ~rejected
    return returns_in(period).aggregate(
        refund=Count("pk", filter=resolved & Q(resolution=Resolution.REFUND)),
        store_credit=Count("pk", filter=resolved & Q(resolution=Resolution.STORE_CREDIT)),
        exchange=Count("pk", filter=resolved & Q(resolution=Resolution.EXCHANGE)),
        mixed=Count("pk", filter=resolved & Q(resolution=Resolution.MIXED)),
        rejected=Count("pk", filter=rejected & ~resolved),
        cancelled=Count("pk", filter=ended_unresolved),
        open=Count("pk", filter=~resolved & ~rejected & ~Q(status__in=[S.CANCELLED, S.CLOSED])),
    )
