"""What a return is worth: the policy engine's figures for an order's lines and a return's items (reads only).

The portal's review page, the desk's override forms and the services all price through here, so the
customer's quote and the record agree.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.policies import engine
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.selectors import active_policy

from . import ledger
from .models import ITEM_RESOLUTIONS, OPEN_STATUSES, Resolution, ReturnItem, ReturnRequest, ReturnStatus


@dataclass(frozen=True)
class RequestedItem:
    order_line_id: int
    quantity: int
    reason_code: str
    description: str = ""
    photos: tuple[str, ...] = ()  # storage names from `photos.stage_uploads`
    exchange_product_id: int | None = None  # the size or colour wanted, for an exchange
    resolution: str = ""  # what this item asks for; blank: the return's resolution


@dataclass(frozen=True)
class RequestPlan:
    """What a request would become: the same figures on the customer's review page and in the record."""

    quote: engine.Quote
    returnless: bool


def line_facts(line: OrderLine, *, already_returned: int = 0) -> engine.LineFacts:
    return engine.LineFacts(
        line_id=line.pk,
        title=line.title,
        category=line.category,
        unit_price=line.unit_price,
        quantity=line.quantity,
        final_sale=line.final_sale,
        already_returned_quantity=already_returned,
    )


# What holds a line's quantity: an item of a live return, unless inspection found it was not sent back.
LIVE_STATUSES = sorted(OPEN_STATUSES | {ReturnStatus.RESOLVED, ReturnStatus.CLOSED})
NOT_HOLDING = [ReturnItem.Outcome.REJECTED, ReturnItem.Outcome.MISSING, ReturnItem.Outcome.WRONG_ITEM]


def line_facts_for_order(order: Order, *, exclude_return_id: int | None = None) -> dict[int, engine.LineFacts]:
    """Each line of the order with the quantity already taken by other live returns (not `exclude_return_id`)."""
    taken_qs = ReturnItem.objects.filter(order_line__order=order, return_request__status__in=LIVE_STATUSES).exclude(
        outcome__in=NOT_HOLDING
    )
    if exclude_return_id is not None:
        taken_qs = taken_qs.exclude(return_request_id=exclude_return_id)
    taken = dict(taken_qs.values("order_line_id").annotate(q=Sum("quantity")).values_list("order_line_id", "q"))
    return {line.pk: line_facts(line, already_returned=taken.get(line.pk, 0)) for line in order.lines.all()}


def with_taken(lines: QuerySet[OrderLine]) -> QuerySet[OrderLine]:
    """Lines annotated with `taken`: the quantity live returns already hold, as `line_facts_for_order` counts it,
    in the lines' own query."""
    held = (
        ReturnItem.objects.filter(order_line=OuterRef("pk"), return_request__status__in=LIVE_STATUSES)
        .exclude(outcome__in=NOT_HOLDING)
        .values("order_line")
        .annotate(q=Sum("quantity"))
        .values("q")
    )
    return lines.annotate(taken=Coalesce(Subquery(held), 0))


def line_facts_of(lines: Iterable[OrderLine]) -> dict[int, engine.LineFacts]:
    """`line_facts_for_order` for lines read through `with_taken`."""
    return {line.pk: line_facts(line, already_returned=line.taken) for line in lines}  # type: ignore[attr-defined]


def eligibility_facts(order: Order) -> engine.OrderFacts:
    """The order as eligibility sees it, without reading its money: `engine.evaluate_line` reads the delivery day
    only. Never price with these (a quote is capped by what the order gave back: use `order_facts`)."""
    return order_facts(order, given_back=0)


def order_facts(order: Order, *, given_back: int | None = None) -> engine.OrderFacts:
    """The order as the policy engine sees it; a quote is capped by all the order already gave back
    (refunds, store credit, replacements, chargebacks), as the money rule counts it."""
    return engine.OrderFacts(
        currency=order.currency,
        delivered_on=timezone.localdate(order.delivered_at) if order.delivered_at else None,
        amount_paid=order.amount_paid,
        already_refunded=ledger.order_given_back(order) if given_back is None else given_back,
    )


def exchange_options(lines: Sequence[OrderLine]) -> dict[int, list[Product]]:
    """For each line, the in-stock sizes and colours of the same style at the price paid or lower (the same SKU
    included): an exchange never costs the customer more."""
    styles = {line.product.style for line in lines if line.product is not None and line.product.style}
    in_stock = Product.objects.filter(style__in=styles, stock__gt=0).order_by("sku") if styles else []
    by_style: dict[str, list[Product]] = {}
    for product in in_stock:
        by_style.setdefault(product.style, []).append(product)
    return {
        line.pk: [
            p for p in by_style.get(line.product.style, []) if p.pk == line.product_id or p.price <= line.unit_price
        ]
        if line.product is not None and line.product.style
        else []
        for line in lines
    }


def why_no_exchange(line: OrderLine) -> str:
    """Why a line has no exchange option, in the customer's words."""
    if line.product is None or not line.product.style:
        return f"{line.title} can only be refunded or credited: we don't stock it in other sizes or colours."
    return f"No size or colour of {line.title} is in stock at its price or lower just now, so it can't be exchanged."


def overall_resolution(items: Sequence[RequestedItem], resolution: str = "") -> str:
    """The return's resolution: the one every item asks for, or "mixed" when they differ."""
    wanted = {item.resolution or resolution for item in items}
    return wanted.pop() if len(wanted) == 1 else Resolution.MIXED


def plan_request(
    *,
    order: Order,
    items: Sequence[RequestedItem],
    resolution: str,
    reasons: dict[str, ReasonCode],
    facts: dict[int, engine.LineFacts] | None = None,
    ofacts: engine.OrderFacts | None = None,
) -> RequestPlan:
    """Check a request against the policy and price it; raises `ServiceError` with words for the customer."""
    if not items:
        raise ServiceError("Choose at least one item to return.")
    if resolution not in Resolution.values or any((i.resolution or resolution) not in ITEM_RESOLUTIONS for i in items):
        raise ServiceError("Choose refund, store credit or exchange for each item.")
    if len({i.order_line_id for i in items}) != len(items):
        raise ServiceError("Each item can appear only once in a return.")
    terms = active_policy().terms()
    facts = facts if facts is not None else line_facts_for_order(order)
    ofacts = ofacts if ofacts is not None else order_facts(order)
    today = clock.today()
    quote_items = []
    for item in items:
        line = facts.get(item.order_line_id)
        if line is None:
            raise ServiceError("That item is not part of this order.")
        reason = reasons.get(item.reason_code)
        if reason is None:
            raise ServiceError(f"Choose a reason for returning {line.title}.")
        verdict = engine.evaluate_line(line, ofacts, terms, today)
        if not verdict.eligible:
            raise ServiceError(f"{line.title}: {' '.join(verdict.reasons)}")
        if not 1 <= item.quantity <= verdict.returnable_quantity:
            raise ServiceError(f"{line.title}: you can return between 1 and {verdict.returnable_quantity}.")
        quote_items.append(
            engine.QuoteItem(line, item.quantity, reason.customer_pays, reason.label, item.resolution or resolution)
        )
    quote = engine.quote_return(quote_items, ofacts, terms, resolution=resolution)
    if resolution == Resolution.REFUND:
        kept = engine.quote_return(quote_items, ofacts, terms, resolution=resolution, returnless=True)
        if engine.returnless_allowed(kept, terms):
            return RequestPlan(quote=kept, returnless=True)
    return RequestPlan(quote=quote, returnless=False)


def quote_for_items(rr: ReturnRequest, items: Sequence[ReturnItem], *, returnless: bool = False) -> engine.Quote:
    """The quote for some of a return's items, with the terms and engine the customer was quoted with."""
    quoted = rr.quoted_terms()
    # A quote prices the items in hand; quantities already returned matter to eligibility, not here.
    quote_items = [
        engine.QuoteItem(
            line_facts(i.order_line), i.quantity, quoted.customer_pays_for(i.reason), i.reason.label, i.resolution
        )
        for i in items
    ]
    return engine.quote_return(
        quote_items, order_facts(rr.order), quoted.terms, resolution=rr.resolution, returnless=returnless
    )


def settlement_of(quote: engine.Quote) -> int:
    """The return's money as settled: the quote without the store credit bonus, which is added (and
    accounted apart) only when credit is issued."""
    return quote.total - min(quote.store_credit_bonus, quote.total)


def returnless_settlement(rr: ReturnRequest) -> int:
    """What the return settles at if the customer keeps every item (the returnless quote, bonus aside)."""
    items = list(rr.items.select_related("reason", "order_line"))
    return settlement_of(quote_for_items(rr, items, returnless=True))
