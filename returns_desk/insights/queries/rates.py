"""Return rates: units returned ÷ units sold per SKU, product and category, for the orders placed in the period."""

import re
from dataclasses import dataclass

from django.db.models import Sum

from returns_desk.orders.models import OrderLine, Product
from returns_desk.returns.models import ReturnItem, ReturnRequest
from returns_desk.returns.models import ReturnStatus as S

from .period import Period

NOT_RETURNED = [S.CANCELLED, S.REJECTED]
SIZE_SUFFIX = re.compile(r"\s*\([^)]*\)$")


def rate_of(returned: int, sold: int) -> float | None:
    return returned / sold if sold else None


@dataclass(frozen=True)
class RateRow:
    key: str
    title: str
    category: str
    sold: int
    returned: int

    @property
    def rate(self) -> float | None:
        return rate_of(self.returned, self.sold)


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
