"""The figures of the insights page, each worked out by the database (aggregates, window functions, sorting);
Python only divides two aggregates, compares them, or sums SKU-level aggregates into products and categories.

The cohort is orders placed in the period: units sold are their lines, units returned the items of
their returns that were not cancelled or rejected, so a return rate is a share of what that period sold.
Activity figures (reasons, money, resolutions, stage times, satisfaction) count what happened in the
period. A category narrows everything to lines (and returns with items) of that category.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, NullIf, RowNumber
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.orders.models import OrderLine, Product
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.policies.models import ReasonCode, ReturnPolicy
from returns_desk.returns.models import Resolution, ReturnItem, ReturnRequest, SurveyResponse
from returns_desk.returns.models import ReturnStatus as S

from .sqlfunctions import EpochSeconds, WeekStart

NOT_RETURNED = [S.CANCELLED, S.REJECTED]
SIZE_SUFFIX = re.compile(r"\s*\([^)]*\)$")
SCORES = range(1, 6)
MIN_UNITS_FOR_RATE = 5  # fewer units sold than this say nothing about a SKU
PREVENTION_FACTOR = 2


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


def _rate(returned: int, sold: int) -> float | None:
    return returned / sold if sold else None


# --- return rates -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    key: str
    title: str
    category: str
    sold: int
    returned: int

    @property
    def rate(self) -> float | None:
        return _rate(self.returned, self.sold)


@dataclass(frozen=True)
class Rates:
    skus: list[RateRow]
    products: list[RateRow]  # SKUs of one style (its sizes and colours) together
    categories: list[RateRow]  # always the whole shop: what a SKU is compared with


def _not_returned_ids():
    """Cancelled and rejected returns, as a small IN-set the database builds once (instead of reading each
    item's return to check its state)."""
    return ReturnRequest.objects.filter(status__in=NOT_RETURNED).values("pk")


def _by_rate(rows) -> list[RateRow]:
    return sorted(rows, key=lambda r: (-(r.rate or 0), -r.returned, r.key))


def _roll_up(rows: list[RateRow], key, title) -> list[RateRow]:
    """Sum SKU-level aggregates into a coarser level (a handful of rows, not the underlying data)."""
    groups: dict[str, list[RateRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [
        RateRow(k, title(rs), rs[0].category, sum(r.sold for r in rs), sum(r.returned for r in rs))
        for k, rs in groups.items()
    ]


def return_rates(period: Period) -> Rates:
    """Units returned ÷ units sold per SKU, product and category: two grouped queries (sold and returned per
    SKU); products and categories are sums of those groups. Zero-priced orders (exchange replacements) are
    not sales."""
    sold = list(
        OrderLine.objects.filter(period.within("order__placed_at"), order__amount_paid__gt=0)
        .values("sku", "category")
        .annotate(sold=Sum("quantity"))
    )
    # Names and styles from the catalogue (a few rows), so the sales query reads only its covering index.
    catalogue = {
        sku: (title, style or sku)
        for sku, title, style in Product.objects.filter(sku__in=[r["sku"] for r in sold]).values_list(
            "sku", "title", "style"
        )
    }
    for row in sold:
        row["title"], row["product_key"] = catalogue.get(row["sku"], (row["sku"], row["sku"]))
    returned = dict(
        ReturnItem.objects.filter(period.within("order_line__order__placed_at"))
        .exclude(return_request_id__in=_not_returned_ids())
        .values_list("order_line__sku")
        .annotate(returned=Sum("quantity"))
        .values_list("order_line__sku", "returned")
    )
    skus = [RateRow(r["sku"], r["title"], r["category"], r["sold"], returned.get(r["sku"], 0)) for r in sold]
    product_of = {r["sku"]: r["product_key"] for r in sold}
    products = _roll_up(skus, lambda r: product_of[r.key], lambda rs: SIZE_SUFFIX.sub("", min(r.title for r in rs)))
    categories = _roll_up(skus, lambda r: r.category, lambda rs: rs[0].category)
    if period.category:
        skus = [r for r in skus if r.category == period.category]
        products = [r for r in products if r.category == period.category]
    return Rates(_by_rate(skus), _by_rate(products), _by_rate(categories))


# --- what happened in the period ----------------------------------------------------------------------


def _returns_in(period: Period, field: str = "created_at"):
    returns = ReturnRequest.objects.filter(period.within(field))
    if period.category:
        returns = returns.filter(
            Exists(ReturnItem.objects.filter(return_request=OuterRef("pk"), order_line__category=period.category))
        )
    return returns


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
        _returns_in(period, "resolved_at")
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


def resolution_mix(period: Period) -> dict[str, int]:
    """How the period's returns ended (or that they have not yet)."""
    resolved = Q(resolved_at__isnull=False)
    rejected = Q(rejected_at__isnull=False)
    ended_unresolved = Q(status__in=[S.CANCELLED, S.CLOSED]) & Q(resolved_at__isnull=True) & ~rejected
    return _returns_in(period).aggregate(
        refund=Count("pk", filter=resolved & Q(resolution=Resolution.REFUND)),
        store_credit=Count("pk", filter=resolved & Q(resolution=Resolution.STORE_CREDIT)),
        exchange=Count("pk", filter=resolved & Q(resolution=Resolution.EXCHANGE)),
        rejected=Count("pk", filter=rejected & ~resolved),
        cancelled=Count("pk", filter=ended_unresolved),
        open=Count("pk", filter=~resolved & ~rejected & ~Q(status__in=[S.CANCELLED, S.CLOSED])),
    )


def _seconds_between(start_field: str, end_field: str):
    return EpochSeconds(end_field) - EpochSeconds(start_field)


def median_duration(period: Period, start_field: str, end_field: str) -> dt.timedelta | None:
    """The median of end − start over the period's returns that reached both: the database sorts the spans and
    hands back the middle one (or two); only they cross to Python."""
    spans = (
        _returns_in(period)
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
        _returns_in(period)
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


# --- satisfaction -------------------------------------------------------------------------------------


def _surveys(period: Period):
    surveys = SurveyResponse.objects.filter(period.within("created_at"))
    if period.category:
        surveys = surveys.filter(
            Exists(
                ReturnItem.objects.filter(
                    return_request=OuterRef("return_request"), order_line__category=period.category
                )
            )
        )
    return surveys


def _score_counts() -> dict:
    return {f"s{n}": Count("pk", filter=Q(score=n)) for n in SCORES}


def satisfaction(period: Period) -> dict:
    return _surveys(period).aggregate(average=Avg("score"), responses=Count("pk"), **_score_counts())


def satisfaction_by(period: Period, dimension: str) -> list[dict]:
    """Average and distribution by the return's main reason (its first item's), resolution, or agent."""
    surveys = _surveys(period)
    if dimension == "reason":
        first_reason = ReturnItem.objects.filter(return_request=OuterRef("return_request")).order_by("pk")
        surveys = surveys.annotate(label=Subquery(first_reason.values("reason__label")[:1]))
    elif dimension == "resolution":
        surveys = surveys.annotate(label=F("return_request__resolution"))
    else:
        surveys = surveys.annotate(
            label=Coalesce(
                NullIf(F("return_request__assignee__first_name"), Value("")),
                F("return_request__assignee__username"),
                Value("(unassigned)"),
            )
        )
    rows = surveys.values("label").annotate(average=Avg("score"), responses=Count("pk"), **_score_counts())
    result = list(rows.order_by("-responses", "label"))
    if dimension == "resolution":
        names = dict(Resolution.choices)
        for row in result:
            row["label"] = names.get(row["label"], row["label"])
    return result


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


# --- prevention ---------------------------------------------------------------------------------------


# What a shop usually fixes when a SKU keeps coming back for this reason.
FIXES = {
    "doesnt-fit": "Check the size chart and add fit notes (runs small or large) to the description.",
    "damaged": "Check quality control with the supplier, and the packaging.",
    "not-as-described": "Fix the photos and the description so they match the item.",
    "wrong-item": "Check picking in the warehouse: labels and bin locations of this SKU.",
    "arrived-late": "Check the carrier and the delivery promise shown at checkout.",
    "changed-mind": "Look at the price and the description: what made it a second thought?",
}


@dataclass(frozen=True)
class ProblemSku:
    row: RateRow
    category_rate: float
    top_reasons: list[tuple[str, int]]
    words: list[str]
    fix: str = ""


def problem_skus(period: Period, sku_rates: list[RateRow], category_rates: list[RateRow]) -> list[ProblemSku]:
    """SKUs returned more than twice as often as their category, with why (top reasons, customers' words)."""
    by_category = {r.key: r.rate or 0 for r in category_rates}
    flagged = [
        r
        for r in sku_rates
        if r.sold >= MIN_UNITS_FOR_RATE and r.rate and r.rate > PREVENTION_FACTOR * by_category.get(r.category, 0)
    ]
    if not flagged:
        return []
    skus = [r.key for r in flagged]
    cohort = (
        ReturnItem.objects.filter(period.within("order_line__order__placed_at"), order_line__sku__in=skus)
        .exclude(return_request__status__in=NOT_RETURNED)
        .annotate(sku=F("order_line__sku"))
    )
    ranked_reasons = (
        cohort.values("sku", "reason__label", "reason__code")
        .annotate(units=Sum("quantity"))
        .annotate(rank=Window(RowNumber(), partition_by=[F("sku")], order_by=[F("units").desc(), F("reason__label")]))
        .filter(rank__lte=3)
        .order_by("sku", "rank")
    )
    reasons_for: dict[str, list] = {}
    fix_for: dict[str, str] = {}
    for row in ranked_reasons:
        reasons_for.setdefault(row["sku"], []).append((row["reason__label"], row["units"]))
        fix_for.setdefault(row["sku"], FIXES.get(row["reason__code"], ""))
    latest_words = (
        cohort.exclude(condition_description="")
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("sku")], order_by=[F("return_request__created_at").desc(), F("pk").desc()]
            )
        )
        .filter(rank__lte=5)
        .values_list("sku", "condition_description")
        .order_by("sku", "rank")
    )
    words_for: dict[str, list] = {}
    for sku, words in latest_words:
        if words not in words_for.setdefault(sku, []):
            words_for[sku].append(words)
    return [
        ProblemSku(
            r,
            by_category.get(r.category, 0),
            reasons_for.get(r.key, []),
            words_for.get(r.key, [])[:3],
            fix_for.get(r.key, ""),
        )
        for r in flagged
    ]


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
