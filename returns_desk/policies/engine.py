"""Pure return-policy functions: no database, no clock, no side effects.

Callers turn models into these small value objects, so the same figures reach the customer, the VA
and the refund, and so the rules can be property-tested.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from returns_desk.core.money import format_money, percent_of

REFUND = "refund"
STORE_CREDIT = "store_credit"
EXCHANGE = "exchange"
MIXED = "mixed"  # a quote whose items ask for different outcomes
# The order a quote's deductions (fees, the cap) come off its parts: money first, the exchange last, so the
# store credit's bonus and the replacement are kept whole as long as possible.
OUTCOMES = (REFUND, STORE_CREDIT, EXCHANGE)


@dataclass(frozen=True)
class PolicyTerms:
    return_window_days: int
    restocking_fee_percent: float = 0
    return_shipping_fee: int = 0
    non_returnable_categories: frozenset[str] = frozenset()
    final_sale_returnable: bool = False
    store_credit_bonus_percent: float = 0
    returnless_refund_threshold: int = 0


@dataclass(frozen=True)
class LineFacts:
    line_id: int
    title: str
    category: str
    unit_price: int
    quantity: int
    final_sale: bool = False
    already_returned_quantity: int = 0


@dataclass(frozen=True)
class OrderFacts:
    currency: str
    delivered_on: dt.date | None
    amount_paid: int
    already_refunded: int = 0


@dataclass(frozen=True)
class Eligibility:
    line_id: int
    eligible: bool
    reasons: tuple[str, ...]
    returnable_quantity: int
    window_closes_on: dt.date | None


@dataclass(frozen=True)
class QuoteItem:
    line: LineFacts
    quantity: int
    customer_pays_shipping: bool
    reason_label: str = ""
    resolution: str = ""  # what this item asks for; blank: the quote's resolution


@dataclass(frozen=True)
class QuoteLine:
    label: str
    amount: int  # negative for deductions


@dataclass(frozen=True)
class Quote:
    currency: str
    resolution: str
    items_subtotal: int
    restocking_fee: int
    return_shipping_fee: int
    store_credit_bonus: int
    capped_by: int
    total: int
    breakdown: tuple[QuoteLine, ...] = field(default_factory=tuple)
    # The total without the bonus, split by outcome: (outcome, amount) for each outcome the items ask for.
    parts: tuple[tuple[str, int], ...] = ()
    fees: tuple[QuoteLine, ...] = ()  # the fee lines of `breakdown` (restocking, return shipping), when any

    def display(self, amount: int) -> str:
        return format_money(amount, self.currency)

    @property
    def total_display(self) -> str:
        return format_money(self.total, self.currency)


def human_date(day: dt.date, today: dt.date) -> str:
    """'3 October' this year, '3 October 2025' otherwise."""
    text = f"{day.day} {day:%B}"
    return text if day.year == today.year else f"{text} {day.year}"


def evaluate_line(line: LineFacts, order: OrderFacts, terms: PolicyTerms, today: dt.date) -> Eligibility:
    """Can this order line be returned today, and why (or why not), in words a customer reads."""
    refusals: list[str] = []
    notes: list[str] = []
    closes_on = None

    if order.delivered_on is None:
        refusals.append("This order hasn't been delivered yet, so it can't be returned.")
    else:
        closes_on = order.delivered_on + dt.timedelta(days=terms.return_window_days)
        if today > closes_on:
            refusals.append(f"The return window closed on {human_date(closes_on, today)}.")
        else:
            days_left = (closes_on - today).days
            notes.append(
                f"Returnable until {human_date(closes_on, today)} "
                f"({days_left} day{'s' if days_left != 1 else ''} left)."
            )

    if line.final_sale and not terms.final_sale_returnable:
        refusals.append("Final sale items can't be returned.")
    if line.category.lower() in terms.non_returnable_categories:
        refusals.append(f"Items in the category “{line.category}” can't be returned.")

    remaining = max(line.quantity - line.already_returned_quantity, 0)
    if remaining == 0:
        refusals.append(
            "This item is already in another return."
            if line.quantity == 1
            else f"All {line.quantity} of these are already in other returns."
        )
    elif line.already_returned_quantity:
        notes.append(
            f"{line.already_returned_quantity} of {line.quantity} already in another return; "
            f"{remaining} can still be returned."
        )

    eligible = not refusals
    return Eligibility(
        line_id=line.line_id,
        eligible=eligible,
        reasons=tuple(refusals if refusals else notes),
        returnable_quantity=remaining if eligible else 0,
        window_closes_on=closes_on,
    )


def quote_return(
    items: Sequence[QuoteItem],
    order: OrderFacts,
    terms: PolicyTerms,
    *,
    resolution: str = REFUND,
    returnless: bool = False,
) -> Quote:
    """What the customer gets back, and how that figure was reached.

    Restocking fee: on items returned for a reason the customer is responsible for; waived for
    exchanges and when the item is kept. Return shipping fee: once, when any such reason is given and a
    parcel comes back. Neither fee exceeds what it applies to. What comes back (the bonus aside) never exceeds
    what was paid minus what was already given back; store credit then earns the policy's bonus on top.
    """
    wanted = [item.resolution or resolution for item in items]
    subtotal, customer_fault_subtotal, item_lines = _items_returned(items, order.currency)
    fault_not_exchanged = sum(
        item.line.unit_price * item.quantity
        for item, outcome in zip(items, wanted, strict=True)
        if item.customer_pays_shipping and outcome != EXCHANGE
    )
    restocking_fee, shipping_fee, fee_lines = _fees(
        subtotal, customer_fault_subtotal, fault_not_exchanged, terms, returnless=returnless
    )
    net = subtotal - restocking_fee - shipping_fee
    # The cap is on the money the order gives back; the store credit bonus is the shop's gift on top (the
    # money rule does not count it either), worked out on the credit that remains after the cap.
    capped, capped_by, cap_lines = _capped_to_still_refundable(net, order)
    parts = _parts_after(_parts_after(_subtotals_by_outcome(items, wanted), restocking_fee + shipping_fee), capped_by)
    bonus, bonus_lines = _store_credit_bonus(parts.get(STORE_CREDIT, 0), terms)
    total = capped + bonus
    return Quote(
        currency=order.currency,
        resolution=resolution,
        items_subtotal=subtotal,
        restocking_fee=restocking_fee,
        return_shipping_fee=shipping_fee,
        store_credit_bonus=bonus,
        capped_by=capped_by,
        total=total,
        breakdown=(*item_lines, *fee_lines, *cap_lines, *bonus_lines),
        parts=tuple((outcome, parts[outcome]) for outcome in OUTCOMES if outcome in parts),
        fees=tuple(fee_lines),
    )


def _subtotals_by_outcome(items: Sequence[QuoteItem], wanted: Sequence[str]) -> dict[str, int]:
    subtotals: dict[str, int] = {}
    for item, outcome in zip(items, wanted, strict=True):
        subtotals[outcome] = subtotals.get(outcome, 0) + item.line.unit_price * item.quantity
    return subtotals


def _parts_after(parts: dict[str, int], deduction: int) -> dict[str, int]:
    """The parts with `deduction` taken off in `OUTCOMES` order, none below zero."""
    left, result = max(deduction, 0), {}
    for outcome in OUTCOMES:
        if outcome in parts:
            taken = min(left, parts[outcome])
            result[outcome], left = parts[outcome] - taken, left - taken
    return result


def _items_returned(items: Sequence[QuoteItem], currency: str) -> tuple[int, int, list[QuoteLine]]:
    """The items' subtotal, the part of it returned for a reason the customer is responsible for, and a line each."""
    lines: list[QuoteLine] = []
    subtotal = 0
    customer_fault_subtotal = 0
    for item in items:
        amount = item.line.unit_price * item.quantity
        subtotal += amount
        if item.customer_pays_shipping:
            customer_fault_subtotal += amount
        reason = f" — {item.reason_label}" if item.reason_label else ""
        price = format_money(item.line.unit_price, currency)
        lines.append(QuoteLine(f"{item.quantity} × {item.line.title} at {price}{reason}", amount))
    return subtotal, customer_fault_subtotal, lines


def _fees(
    subtotal: int, customer_fault_subtotal: int, fault_not_exchanged: int, terms: PolicyTerms, *, returnless: bool
) -> tuple[int, int, list[QuoteLine]]:
    """The restocking fee (on what the customer is responsible for and is not exchanging) and the return
    shipping fee, each with its (negative) line when it applies."""
    lines: list[QuoteLine] = []
    restocking_fee = 0
    if fault_not_exchanged and not returnless and terms.restocking_fee_percent:
        restocking_fee = min(percent_of(fault_not_exchanged, terms.restocking_fee_percent), fault_not_exchanged)
        lines.append(QuoteLine(f"Restocking fee ({terms.restocking_fee_percent:g}%)", -restocking_fee))
    shipping_fee = 0
    if customer_fault_subtotal and not returnless and terms.return_shipping_fee:
        shipping_fee = min(terms.return_shipping_fee, subtotal - restocking_fee)
        lines.append(QuoteLine("Return shipping (paid by the customer for this reason)", -shipping_fee))
    return restocking_fee, shipping_fee, lines


def _store_credit_bonus(net: int, terms: PolicyTerms) -> tuple[int, list[QuoteLine]]:
    """The policy's bonus on what is given back as store credit (`net`, after fees), with its line."""
    if terms.store_credit_bonus_percent and net > 0:
        bonus = percent_of(net, terms.store_credit_bonus_percent)
        return bonus, [QuoteLine(f"Store credit bonus ({terms.store_credit_bonus_percent:g}%)", bonus)]
    return 0, []


def _capped_to_still_refundable(due: int, order: OrderFacts) -> tuple[int, int, list[QuoteLine]]:
    """The total (never below zero nor above what was paid minus what was already given back), the part cut off,
    and a line saying so when anything was."""
    still_refundable = max(order.amount_paid - order.already_refunded, 0)
    total = max(min(due, still_refundable), 0)
    capped_by = due - total
    if capped_by <= 0:
        return total, capped_by, []
    label = "Limited to what is still refundable on this order"
    if order.already_refunded:
        label += f" ({format_money(order.already_refunded, order.currency)} already given back)"
    return total, capped_by, [QuoteLine(label, -capped_by)]


def returnless_allowed(quote: Quote, terms: PolicyTerms) -> bool:
    """The customer may keep the item when the refund is at or under the policy's threshold."""
    return terms.returnless_refund_threshold > 0 and 0 < quote.total <= terms.returnless_refund_threshold
