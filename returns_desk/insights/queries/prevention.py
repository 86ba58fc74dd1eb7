"""Prevention: SKUs returned more than twice as often as their category, with why (top reasons, customers'
words) and what a shop usually fixes for the main reason."""

from dataclasses import dataclass

from django.db.models import F, Sum, Window
from django.db.models.functions import RowNumber

from returns_desk.returns.models import ReturnItem

from .period import Period
from .rates import NOT_RETURNED, RateRow

MIN_UNITS_FOR_RATE = 5  # fewer units sold than this say nothing about a SKU
PREVENTION_FACTOR = 2

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
    cohort = _returned_items(period, [r.key for r in flagged])
    reasons_for, fix_for = _top_reasons(cohort)
    words_for = _latest_words(cohort)
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


def _returned_items(period: Period, skus: list[str]):
    """The items of these SKUs returned from the period's orders (not cancelled or rejected), with their SKU."""
    return (
        ReturnItem.objects.filter(period.within("order_line__order__placed_at"), order_line__sku__in=skus)
        .exclude(return_request__status__in=NOT_RETURNED)
        .annotate(sku=F("order_line__sku"))
    )


def _top_reasons(cohort) -> tuple[dict[str, list], dict[str, str]]:
    """Per SKU: its three main reasons as (label, units), and the fix for the first of them."""
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
    return reasons_for, fix_for


def _latest_words(cohort) -> dict[str, list]:
    """Per SKU: what customers wrote about its latest five returned items, each wording once."""
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
    return words_for
