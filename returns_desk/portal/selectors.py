"""What the customer's pages read: the order's lines with their eligibility, and a return as the customer sees it."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from returns_desk.core import clock
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.policies import engine
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnRequest
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.returns.pricing import exchange_options, line_facts_for_order, order_facts


@dataclass(frozen=True)
class LineChoice:
    line: OrderLine
    eligibility: engine.Eligibility
    exchange_options: list[Product]


def lines_for_return(order: Order) -> list[LineChoice]:
    """Every line of the order with whether it can be returned today and why, in words."""
    lines = list(order.lines.select_related("product"))
    facts = line_facts_for_order(order)
    ofacts = order_facts(order)
    terms = active_policy().terms()
    today = clock.today()
    options = exchange_options(lines)
    return [
        LineChoice(line, engine.evaluate_line(facts[line.pk], ofacts, terms, today), options[line.pk]) for line in lines
    ]


def reason_choices() -> list[tuple[str, str]]:
    return list(ReasonCode.objects.filter(is_active=True).values_list("code", "label"))


def reasons_by_code() -> dict[str, ReasonCode]:
    return {reason.code: reason for reason in ReasonCode.objects.filter(is_active=True)}


def earlier_returns(order: Order) -> list[ReturnRequest]:
    return list(order.returns.order_by("-created_at").only("rma_number", "status", "customer_token", "created_at"))


def return_for_customer(token: str) -> ReturnRequest | None:
    return ReturnRequest.objects.select_related("order", "survey").filter(customer_token=token).first()


def customer_items(rr: ReturnRequest):
    return rr.items.select_related("order_line", "reason", "exchange_product").prefetch_related("photos")


def customer_timeline(rr: ReturnRequest):
    return rr.events.filter(visible_to_customer=True).order_by("created_at", "id")


def next_deadline(rr: ReturnRequest) -> dt.datetime | None:
    """By when the next step should happen, from the policy's targets; None when it is up to the customer."""
    return sla.customer_deadline(
        status=rr.status,
        since=rr.status_changed_at,
        returnless=rr.returnless,
        targets=sla.Targets.from_policy(active_policy()),
        expire_after_days=settings.EXPIRE_APPROVED_AFTER_DAYS,
    )


def customer_can_cancel(rr: ReturnRequest) -> bool:
    return rr.status in (S.REQUESTED, S.NEEDS_INFO, S.APPROVED)


def customer_can_ship(rr: ReturnRequest) -> bool:
    return rr.status == S.APPROVED and not rr.returnless
