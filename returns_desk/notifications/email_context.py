"""What each kind of customer email needs beyond the return itself, worked out in one place.

`context_for(kind, rr, event)` is called for every email written to the outbox (`services.email_queue`); the
`event` is the change that caused it, or None for a scheduled email (a reminder, the follow-up).
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from returns_desk.core.money import format_money
from returns_desk.documents.outcomes import settlement_explained
from returns_desk.returns.models import Resolution, ReturnEvent, ReturnRequest


def _result(event: ReturnEvent | None) -> dict:
    return ((event.data if event else None) or {}).get("result") or {}


def _next_step(rr: ReturnRequest, accepted: str) -> str:
    if not rr.refund_amount:
        return "There is nothing to refund, credit or exchange for this return."
    return {
        Resolution.REFUND: f"Next, we refund {accepted} to your original payment method and email you when it "
        "has gone through.",
        Resolution.STORE_CREDIT: f"Next, we issue {accepted} of store credit and email you its code.",
        Resolution.EXCHANGE: "Next, we ship your replacement and email you its tracking number.",
    }.get(
        rr.resolution,
        "Next, we settle each accepted item as you asked (refund, store credit or exchange) and email you as "
        "each one is done.",
    )


def _inspection(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    settlement = settlement_explained(rr)
    return {"settlement": settlement, "next_step": _next_step(rr, settlement["accepted"])}


def _store_credit(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    # The balance after this credit, as payments counted it when issuing it (the event's result).
    return {
        "credit": rr.store_credits.order_by("-id").first(),
        "balance_display": format_money(_result(event).get("balance", 0), rr.currency),
    }


def _refund(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    return {"refund": rr.refunds.filter(status="succeeded").order_by("-id").first()}


def _start_url() -> str:
    return settings.SITE_URL + reverse("portal:start")


def _cancelled(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    return {
        "by_customer": event is not None and event.actor_kind == ReturnEvent.ActorKind.CUSTOMER,
        "reason": event.customer_text if event else "",
        "was_approved": event is not None and event.from_state == "approved",
        "when": event.created_at if event else rr.status_changed_at,
        "start_url": _start_url(),
    }


def _expired(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    return {
        "approved_on": rr.approved_at,
        "days": settings.EXPIRE_APPROVED_AFTER_DAYS,
        "start_url": _start_url(),
    }


def _ship_reminder(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    # The return expires that long after it was approved (`returns.tasks.expire_unshipped`).
    return {"ship_by": rr.status_changed_at + dt.timedelta(days=settings.EXPIRE_APPROVED_AFTER_DAYS)}


def _settled(rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    """What each accepted item became, and the credit, replacement and refund the settlement made."""
    result = _result(event)
    credit = rr.store_credits.order_by("-id").first() if result.get("store_credit") else None
    refund = rr.refunds.order_by("-attempt").first() if result.get("refund") else None
    items = [i for i in rr.items.select_related("order_line") if i.outcome == "accepted"]
    return {
        "settled_items": [(item, Resolution(item.wanted).label) for item in items],
        "credit": credit,
        "balance_display": format_money((result.get("store_credit") or {}).get("balance", 0), rr.currency),
        "refund": refund,
        "replacement": rr.exchange_order if result.get("exchange") else None,
    }


BUILDERS = {
    "settled": _settled,
    "inspection_result": _inspection,
    "store_credit_issued": _store_credit,
    "refund_issued": _refund,
    "cancelled": _cancelled,
    "expired": _expired,
    "ship_reminder": _ship_reminder,
}


def context_for(kind: str, rr: ReturnRequest, event: ReturnEvent | None) -> dict:
    build = BUILDERS.get(kind)
    return build(rr, event) if build else {}
