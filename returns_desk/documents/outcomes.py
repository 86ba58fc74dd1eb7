"""What each item of a return came to, and how the accepted total was reached, in the customer's words.

The inspection email and the settlement documents print the same explanation: for every item whether it was
accepted, and if not, why (the desk's words for the customer, `ReturnItem.customer_note`, never its own
`inspection_note`) and what happens to the item; then "We accepted $X of the $Y quoted" with what made the
difference. Plain strings only, so that a document's fingerprint can hash it. Reads only.
"""

from collections.abc import Sequence

from returns_desk.core.money import format_money, percent_of
from returns_desk.returns.models import Resolution, ReturnItem, ReturnRequest
from returns_desk.returns.pricing import quote_for_items

OUTCOME = ReturnItem.Outcome
STATUS_WORDS = {
    OUTCOME.ACCEPTED: "Accepted",
    OUTCOME.REJECTED: "Not accepted",
    OUTCOME.MISSING: "Not in the parcel",
    OUTCOME.WRONG_ITEM: "A different item came back",
}
MISSING_WHY = "We did not find it in the parcel we received."
# What an item asked for, said on a return whose items ask for different outcomes.
WANTED_WORDS = {Resolution.REFUND: "refund", Resolution.STORE_CREDIT: "store credit", Resolution.EXCHANGE: "exchange"}
KEPT = "Kept by you: refunded without sending it back"


def _money(rr: ReturnRequest):
    return lambda amount: format_money(amount, rr.currency)


def _item(item: ReturnItem, rr: ReturnRequest, *, kept: bool) -> dict:
    accepted = item.outcome == OUTCOME.ACCEPTED
    why = "" if accepted else item.customer_note.strip()
    if item.outcome == OUTCOME.MISSING and not why:
        why = MISSING_WHY
    status = KEPT if kept else STATUS_WORDS.get(item.outcome, "Not inspected yet")
    return {
        "title": item.order_line.title,
        "sku": item.order_line.sku,
        "quantity": item.quantity,
        "status": status,
        "accepted": accepted,
        "explained": bool(item.outcome) and not accepted,
        "why": why,
        "handling": "" if accepted else item.get_rejected_handling_display(),
        "amount": format_money(item.refundable_amount if accepted else 0, rr.currency),
        "value": format_money(item.order_line.unit_price * item.quantity, rr.currency),
        "wanted": WANTED_WORDS.get(item.wanted, "") if rr.resolution == Resolution.MIXED else "",
    }


def _named(items: Sequence[dict]) -> str:
    """ "1 × Boots ($89.00)", "… and 2 × Socks ($10.00)"."""
    names = [f"{i['quantity']} × {i['title']} ({i['value']})" for i in items]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _bonus(rr: ReturnRequest) -> int:
    """The store credit bonus the settlement earns, as payments works it out when issuing the credit: the
    quoted percentage of the part settled as store credit (all of it, or that part of an item-by-item return)."""
    percent = rr.quoted_terms().terms.store_credit_bonus_percent
    if rr.resolution == Resolution.STORE_CREDIT:
        base = rr.refund_amount or 0
    elif rr.resolution == Resolution.MIXED:
        base = int((rr.settlement_parts or {}).get(Resolution.STORE_CREDIT, 0))
    else:
        base = 0
    return percent_of(base, percent) if base > 0 and percent else 0


def _how_reached(rr: ReturnRequest, accepted: list[ReturnItem]) -> tuple[list[dict], int]:
    """The lines from the accepted items' value to the settled amount (fees, a limit, the store credit bonus),
    and the bonus; no lines when the items' amounts already add up and no bonus applies.

    The fees come from the quote of the accepted items under the return's quoted terms (they do not depend on
    what the order gave back since); whatever else differs is the limit to what the order could still give
    back when it was settled.
    """
    if not accepted:
        return [], 0
    money = _money(rr)
    settled, items_value = rr.refund_amount or 0, sum(i.refundable_amount for i in accepted)
    lines: list[dict] = []
    if items_value != settled:
        quote = quote_for_items(rr, accepted)
        fees = quote.restocking_fee + quote.return_shipping_fee
        lines.append({"label": "Items accepted", "amount": money(items_value)})
        lines += [{"label": line.label, "amount": money(line.amount)} for line in quote.fees]
        rest = settled - (items_value - fees)
        if rest < 0:
            lines.append({"label": "Limited to what was still refundable on this order", "amount": money(rest)})
        elif rest > 0:
            lines.append({"label": "Adjusted at inspection", "amount": "+" + money(rest)})
    bonus = _bonus(rr)
    if bonus:
        if not lines:
            lines.append({"label": "Items accepted", "amount": money(settled)})
        percent = rr.quoted_terms().terms.store_credit_bonus_percent
        label = f"Store credit bonus ({percent:g}%), added when we issue the store credit"
        lines.append({"label": label, "amount": "+" + money(bonus)})
    return lines, bonus


def _summary(rr: ReturnRequest, shown: list[dict], total: int, *, kept: bool) -> tuple[str, str]:
    """The headline ("We accepted $X of the $Y quoted.") and what was not accepted."""
    money = _money(rr)
    quoted = money(rr.quoted_amount)
    if kept:
        return f"You kept the items: we refunded {money(rr.refund_amount or 0)} without them coming back.", ""
    refused = [i for i in shown if i["explained"]]
    if not refused and total == rr.quoted_amount:
        return f"We accepted every item: the full {quoted} quoted.", ""
    headline = f"We accepted {money(total)} of the {quoted} quoted."
    if not refused:
        return headline, ""
    if len(refused) == len(shown):
        return headline, "We could not accept any of the items; the reason is given with each one."
    reasons = "the reason is given with it" if len(refused) == 1 else "the reasons are given with each"
    return headline, f"Not accepted: {_named(refused)}; {reasons}."


def settlement_explained(rr: ReturnRequest, items: Sequence[ReturnItem] | None = None) -> dict:
    """Every item's outcome and the accepted total explained, as the customer reads them (strings only).

    `items` may be passed already loaded with their order lines and reasons (the documents' prefetch).
    """
    items = list(items) if items is not None else list(rr.items.select_related("order_line", "reason"))
    # Refunded without a return: nothing came back to inspect (a parcel that came back anyway was inspected).
    kept = rr.returnless and not any(item.outcome for item in items)
    shown = [_item(item, rr, kept=kept) for item in items]
    accepted = [item for item in items if item.outcome == OUTCOME.ACCEPTED]
    lines, bonus = _how_reached(rr, accepted)
    total = (rr.refund_amount or 0) + bonus
    headline, not_accepted = _summary(rr, shown, total, kept=kept)
    return {
        "items": shown,
        "quoted": format_money(rr.quoted_amount, rr.currency),
        "accepted": format_money(total, rr.currency),
        "headline": headline,
        "not_accepted": not_accepted,
        "how_reached": lines,
    }
