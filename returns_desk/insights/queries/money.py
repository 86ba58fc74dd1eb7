"""What the period's returns gave back: refunds paid, store credit issued and exchanges shipped, per week."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, Sum

from returns_desk.insights.sqlfunctions import WeekStart
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.returns.models import Resolution, ReturnItem

from .period import Period, returns_in


def weekly_money(period: Period) -> list[dict]:
    """Per week: refunds paid, store credit issued (both minor units) and exchanges shipped."""
    with_category = (
        Exists(
            ReturnItem.objects.filter(return_request=OuterRef("return_request"), order_line__category=period.category)
        )
        if period.category
        else Q()
    )
    refunds = (
        Refund.objects.filter(period.within("created_at"), status=Refund.Status.SUCCEEDED)
        .filter(with_category)
        .annotate(week=WeekStart("created_at"))
        .values("week")
        .annotate(amount=Sum("amount"))
    )
    credit = (
        StoreCredit.objects.filter(period.within("created_at"), kind=StoreCredit.Kind.ISSUE)
        .filter(with_category)
        .annotate(week=WeekStart("created_at"))
        .values("week")
        .annotate(amount=Sum("amount"))
    )
    exchanges = (
        returns_in(period, "resolved_at")
        .filter(resolution=Resolution.EXCHANGE)
        .annotate(week=WeekStart("resolved_at"))
        .values("week")
        .annotate(n=Count("pk"))
    )
    weeks: dict = {}

    def row(week):
        day = dt.date.fromisoformat(week) if isinstance(week, str) else week
        return weeks.setdefault(day, {"week": day, "refunds": 0, "store_credit": 0, "exchanges": 0})

    for r in refunds:
        row(r["week"])["refunds"] = r["amount"]
    for r in credit:
        row(r["week"])["store_credit"] = r["amount"]
    for r in exchanges:
        row(r["week"])["exchanges"] = r["n"]
    return [weeks[w] for w in sorted(weeks)]
