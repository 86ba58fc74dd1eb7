"""What the customer's pages read: the order's lines with their eligibility, and a return as the customer sees it."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects

from returns_desk.core import clock
from returns_desk.core.money import format_money
from returns_desk.orders.models import Order, OrderLine
from returns_desk.payments.selectors import store_credit_balance
from returns_desk.policies import engine
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.selectors import active_policy
from returns_desk.portal.copy import ITEM_OUTCOME_WORDS, WANTED_WORDS
from returns_desk.returns import sla
from returns_desk.returns.models import Resolution, ReturnItem, ReturnRequest
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.returns.pricing import eligibility_facts, line_facts_of, with_taken


@dataclass(frozen=True)
class LineChoice:
    line: OrderLine
    eligibility: engine.Eligibility


def order_for_draft(order_id: int) -> Order | None:
    """The draft's order with its lines, their products and the quantity live returns already hold, in two
    queries: every step reads `order.lines.all()` from these (the services too, when handed this order)."""
    lines = with_taken(OrderLine.objects.select_related("product")).order_by("order", "id")
    return Order.objects.prefetch_related(Prefetch("lines", queryset=lines)).filter(pk=order_id).first()


def facts_for(order: Order) -> dict[int, engine.LineFacts]:
    """`line_facts_for_order` for an order read by `order_for_draft`, without another query."""
    return line_facts_of(order.lines.all())


def lines_for_return(order: Order) -> list[LineChoice]:
    """Every line of the order with whether it can be returned today and why, in words (an order read by
    `order_for_draft`: no query but the policy's, once per request)."""
    facts = facts_for(order)
    ofacts = eligibility_facts(order)
    terms = active_policy().terms()
    today = clock.today()
    return [LineChoice(line, engine.evaluate_line(facts[line.pk], ofacts, terms, today)) for line in order.lines.all()]


def reason_choices() -> list[tuple[str, str]]:
    return list(ReasonCode.objects.filter(is_active=True).values_list("code", "label"))


def reasons_by_code() -> dict[str, ReasonCode]:
    return {reason.code: reason for reason in ReasonCode.objects.filter(is_active=True)}


def earlier_returns(order: Order) -> list[ReturnRequest]:
    return list(order.returns.order_by("-created_at").only("rma_number", "status", "customer_token", "created_at"))


def return_for_customer(token: str) -> ReturnRequest | None:
    return (
        ReturnRequest.objects.select_related("order", "survey", "exchange_order").filter(customer_token=token).first()
    )


def customer_items(rr: ReturnRequest):
    return rr.items.select_related("order_line", "reason", "exchange_product").prefetch_related("photos")


def customer_timeline(rr: ReturnRequest):
    return rr.events.filter(visible_to_customer=True).order_by("created_at", "id")


@dataclass(frozen=True)
class Promise:
    """A moment we told the customer to expect something by. Once it has passed it is never shown as a
    promise: the page says the step is late instead."""

    at: dt.datetime | dt.date
    passed: bool


def promise(at: dt.datetime | dt.date | None) -> Promise | None:
    if at is None:
        return None
    if isinstance(at, dt.datetime):
        return Promise(at, at < clock.now())
    return Promise(at, at < clock.today())


def next_deadline(rr: ReturnRequest) -> dt.datetime | None:
    """By when the next step should happen, from the policy's targets; None when it is up to the customer."""
    return sla.customer_deadline(
        status=rr.status,
        since=rr.status_changed_at,
        returnless=rr.returnless,
        targets=sla.Targets.from_policy(active_policy()),
        expire_after_days=settings.EXPIRE_APPROVED_AFTER_DAYS,
    )


@dataclass(frozen=True)
class ItemView:
    """One item as the customer reads it: what they asked for and, once inspected, what we decided and why.

    Only the fields meant for the customer are copied here (never the desk's inspection note)."""

    item: ReturnItem
    wanted: str  # "Refund", "Store credit", "Exchange"
    exchange_for: str  # the size or colour asked for in exchange ("" for the same again, or no exchange)
    value: str  # what the item cost, as bought
    outcome: str  # "" until inspected
    outcome_words: str
    amount: str  # settled at inspection
    why: str  # the desk's words for the customer when the item was not accepted
    handling: str  # what happens to an item that was not accepted

    @property
    def accepted(self) -> bool:
        return self.outcome == ReturnItem.Outcome.ACCEPTED


def item_view(item: ReturnItem, currency: str) -> ItemView:
    wanted = item.wanted
    exchange = item.exchange_product if wanted == Resolution.EXCHANGE else None
    inspected = bool(item.outcome)
    return ItemView(
        item=item,
        wanted=WANTED_WORDS.get(wanted, ""),
        exchange_for=exchange.title if exchange else "",
        value=format_money(item.order_line.unit_price * item.quantity, currency),
        outcome=item.outcome,
        outcome_words=ITEM_OUTCOME_WORDS.get(item.outcome, ""),
        amount=format_money(item.refundable_amount if inspected else 0, currency),
        why=item.customer_note.strip() if inspected and item.outcome != ReturnItem.Outcome.ACCEPTED else "",
        handling=item.get_rejected_handling_display() if inspected and item.rejected_handling else "",
    )


def status_items(rr: ReturnRequest) -> list[ItemView]:
    """The return's items for its status page, in two queries however many there are."""
    return [item_view(item, rr.currency) for item in customer_items(rr)]


@dataclass(frozen=True)
class RefundView:
    amount: str
    state: str  # "sent" (on its way), "done" (the provider confirmed it) or "failed"
    sent_at: dt.datetime
    expected: Promise


@dataclass(frozen=True)
class CreditView:
    code: str
    amount: str
    bonus: str  # "" without a bonus
    expires_on: dt.date | None
    expired: bool
    balance: str  # the customer's whole store credit balance, this code's included


@dataclass(frozen=True)
class ExchangeView:
    carrier: str
    tracking_number: str
    replacements: list[str]


@dataclass(frozen=True)
class MoneyView:
    """How much: what was quoted, what was accepted, and where the money (or replacement) is now."""

    quoted: str
    accepted: str  # "" until the settlement is known
    bonus_to_come: bool  # store credit is asked for and not issued yet: its bonus comes on top of `accepted`
    not_accepted: int  # items not accepted at inspection
    refund: RefundView | None
    credit: CreditView | None
    exchange: ExchangeView | None


REFUND_STATES = {"pending": "sent", "requires_action": "sent", "succeeded": "done"}


def _refund(rr: ReturnRequest) -> RefundView | None:
    """The latest attempt: an earlier failed one that was retried is no longer the customer's news."""
    refunds = sorted(rr.refunds.all(), key=lambda r: (r.attempt, r.created_at))
    if not refunds:
        return None
    last = refunds[-1]
    return RefundView(
        amount=last.amount_display,
        state=REFUND_STATES.get(last.status, "failed"),
        sent_at=last.created_at,
        expected=promise(last.expected_by),
    )


def _credit(rr: ReturnRequest) -> CreditView | None:
    issued = [c for c in rr.store_credits.all() if c.kind == "issue"]
    if not issued:
        return None
    entry = max(issued, key=lambda c: (c.created_at, c.pk))
    return CreditView(
        code=entry.code,
        amount=entry.amount_display,
        bonus=format_money(entry.bonus, entry.currency) if entry.bonus else "",
        expires_on=entry.expires_on,
        expired=bool(entry.expires_on and entry.expires_on < clock.today()),
        balance=format_money(store_credit_balance(rr.email), entry.currency),
    )


def _exchange(rr: ReturnRequest, items: list[ItemView]) -> ExchangeView | None:
    shipped = rr.exchange_order
    if shipped is None:
        return None
    replacements = [
        f"{view.item.quantity} × {view.exchange_for or view.item.order_line.title}"
        for view in items
        if view.accepted and view.item.wanted == Resolution.EXCHANGE
    ]
    return ExchangeView(shipped.shipment_carrier, shipped.shipment_tracking_number, replacements)


def customer_money(rr: ReturnRequest, items: list[ItemView]) -> MoneyView:
    """The figures for the top of the status page, in at most three queries (refunds, credit, balance)."""
    prefetch_related_objects([rr], "refunds", "store_credits")
    settled = rr.refund_amount
    credit = _credit(rr)
    return MoneyView(
        quoted=rr.quoted_amount_display if rr.quoted_amount else "",
        accepted=rr.refund_amount_display if settled is not None else "",
        bonus_to_come=credit is None and any(view.item.wanted == Resolution.STORE_CREDIT for view in items),
        not_accepted=sum(1 for view in items if view.outcome and not view.accepted),
        refund=_refund(rr),
        credit=credit,
        exchange=_exchange(rr, items),
    )


def customer_can_cancel(rr: ReturnRequest) -> bool:
    return rr.status in (S.REQUESTED, S.NEEDS_INFO, S.APPROVED)


def customer_can_ship(rr: ReturnRequest) -> bool:
    return rr.status == S.APPROVED and not rr.returnless
