"""One service per transition that moves no money: from the request through shipping to inspection, and close.

(The money transitions — refund, store credit, exchange and a manager's approval — are in `payments`, which
owns the order's money rule.)
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Product
from returns_desk.returns.models import ReturnItem, ReturnRequest
from returns_desk.returns.pricing import quote_for_items, settlement_of

from .engine import required, run_transition


def return_request_info(*, return_request: ReturnRequest, by: Actor, question: str) -> ReturnRequest:
    question = required(question, "the question for the customer")

    def apply(rr: ReturnRequest) -> None:
        rr.awaiting_reply_since = rr.reply_due_at = None  # the question answers whatever they wrote

    return run_transition(return_request=return_request, action="request_info", by=by, apply=apply, body=question)


def return_info_received(*, return_request: ReturnRequest, by: Actor, message: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="info_received", by=by, body=message.strip())


def return_approve(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return run_transition(return_request=return_request, action="approve", by=by)


def return_reject(*, return_request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    reason = required(reason, "a reason the customer will see")

    def apply(rr: ReturnRequest) -> None:
        rr.rejection_reason = reason
        rr.awaiting_reply_since = rr.reply_due_at = None  # the reason, emailed to them, is the desk's answer

    return run_transition(return_request=return_request, action="reject", by=by, apply=apply, body=reason)


def return_cancel(*, return_request: ReturnRequest, by: Actor, reason: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="cancel", by=by, body=reason.strip())


def return_expire(*, return_request: ReturnRequest) -> ReturnRequest:
    return run_transition(
        return_request=return_request,
        action="expire",
        by=Actor.system(),
        body="The parcel was not shipped within the time the policy allows.",
    )


def return_mark_in_transit(
    *, return_request: ReturnRequest, by: Actor, carrier: str, tracking_number: str
) -> ReturnRequest:
    tracking_number = required(tracking_number, "the tracking number")
    carrier = carrier.strip()

    def apply(rr: ReturnRequest) -> None:
        rr.tracking_carrier, rr.tracking_number = carrier, tracking_number

    return run_transition(
        return_request=return_request,
        action="mark_in_transit",
        by=by,
        apply=apply,
        body=f"{carrier} {tracking_number}".strip(),
        data={"carrier": carrier, "tracking_number": tracking_number},
    )


def return_receive(*, return_request: ReturnRequest, by: Actor, note: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="receive", by=by, body=note.strip())


@dataclass(frozen=True)
class ItemInspection:
    item_id: int
    outcome: str
    grade: str = ""
    disposition: str = ""
    note: str = ""  # the desk's, never shown to the customer
    customer_note: str = ""  # why an item was not accepted, in the customer's words
    rejected_handling: str = ""


# Outcomes the customer must be told about: why, and what happens to the item (a missing item has nothing to send).
EXPLAINED_OUTCOMES = frozenset({ReturnItem.Outcome.REJECTED, ReturnItem.Outcome.WRONG_ITEM})


def _checked_inspection(item: ReturnItem, result: ItemInspection) -> None:
    """Refuse a result that leaves the customer without an answer or names an unknown choice."""
    title = item.order_line.title
    if result.outcome not in ReturnItem.Outcome.values:
        raise ServiceError(f"Choose an outcome for {title}.")
    if result.grade and result.grade not in ReturnItem.Grade.values:
        raise ServiceError(f"Unknown grade for {title}.")
    if result.disposition and result.disposition not in ReturnItem.Disposition.values:
        raise ServiceError(f"Unknown disposition for {title}.")
    if result.rejected_handling and result.rejected_handling not in ReturnItem.RejectedHandling.values:
        raise ServiceError(f"Unknown handling for {title}.")
    if result.outcome == ReturnItem.Outcome.ACCEPTED and not result.disposition:
        raise ServiceError(f"Say what happens to {title}: restock, dispose or vendor.")
    if result.outcome in EXPLAINED_OUTCOMES and not (result.customer_note.strip() and result.rejected_handling):
        raise ServiceError(f"Tell the customer why {title} was not accepted and what happens to it.")


def return_inspect(*, return_request: ReturnRequest, by: Actor, results: Sequence[ItemInspection]) -> ReturnRequest:
    """Record each item's grade and outcome, restock what is restocked, and settle the refund amount."""
    by_item = {r.item_id: r for r in results}

    def apply(rr: ReturnRequest) -> dict:
        items = list(rr.items.select_related("order_line", "reason"))
        missing = [str(i) for i in items if i.pk not in by_item]
        if missing or len(by_item) != len(items):
            raise ServiceError("Record an outcome for every item in the parcel, and only those.")
        accepted = []
        restock: dict[int, int] = {}
        for item in items:
            result = by_item[item.pk]
            _checked_inspection(item, result)
            item.outcome, item.grade, item.disposition = result.outcome, result.grade, result.disposition
            item.inspection_note = result.note.strip()
            explained = result.outcome in EXPLAINED_OUTCOMES
            item.customer_note = result.customer_note.strip() if explained else ""
            item.rejected_handling = result.rejected_handling if explained else ""
            if item.outcome == ReturnItem.Outcome.ACCEPTED:
                accepted.append(item)
                if item.disposition == ReturnItem.Disposition.RESTOCK and item.order_line.product_id:
                    restock[item.order_line.product_id] = restock.get(item.order_line.product_id, 0) + item.quantity
        quote = quote_for_items(rr, accepted)
        settled = settlement_of(quote)
        per_item = {i.pk: i.order_line.unit_price * i.quantity for i in accepted}
        for item in items:
            item.refundable_amount = per_item.get(item.pk, 0)
        ReturnItem.objects.bulk_update(
            items,
            [
                "outcome",
                "grade",
                "disposition",
                "inspection_note",
                "customer_note",
                "rejected_handling",
                "refundable_amount",
            ],
        )
        for product_id, quantity in sorted(restock.items()):
            Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        rr.refund_amount, rr.settlement_parts = settled, dict(quote.parts)
        return {
            "refund_amount": settled,
            "parts": rr.settlement_parts,
            "restocked": {str(k): v for k, v in restock.items()},
        }

    return run_transition(return_request=return_request, action="inspect", by=by, settle=apply)


def return_close(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return run_transition(return_request=return_request, action="close", by=by)
