"""The bulk path, for benchmark volumes: the same kind of rows the services write, made in memory and written
with bulk inserts, each timeline generated from its planned path and the model's own transition table
(`bulk_rows`).

Every refund, store credit and exchange written here passes the order's money rule (`money_rule.refusal`, the
rule itself) on the figures held in memory for each order and return, just before its row is made.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction

from returns_desk.core.money import percent_of
from returns_desk.demo.shop.bulk_rows import Desk, Rows, open_return, record_transition, write_returns
from returns_desk.demo.shop.plans import PlannedReturn
from returns_desk.demo.shop.progress import progress
from returns_desk.demo.shop.words import CARRIERS, FAILURES
from returns_desk.orders.models import Order
from returns_desk.payments import money_rule
from returns_desk.payments.models import Refund, StoreCredit, new_store_credit_code
from returns_desk.returns import milestones
from returns_desk.returns.models import ReturnRequest, ReturnStatus

S = ReturnStatus

# The steps that give money back, or ask a manager to, with what they ask of the money rule in its words.
ASKED = {
    "request_refund_approval": "ask for refund of",
    "issue_refund": "refund",
    "approve_refund": "refund",
    "ship_exchange": "exchange for",
    "issue_store_credit": "issue as store credit",
}


def seed_bulk(rng: random.Random, planned: list[PlannedReturn], staff: dict[str, object], *, batch: int = 5000) -> int:
    """Write planned returns with bulk inserts, `batch` at a time: the rows the services would write,
    timelines included. A refusal by the money rule leaves the batch it falls in unwritten."""
    desk = Desk.of(staff)
    figures: dict[int, _OrderFigures] = {}  # order pk -> its figures, kept from one batch to the next
    with progress(total=len(planned), what="returns written") as bar:
        for start in range(0, len(planned), batch):
            _write_chunk(rng, planned[start : start + batch], desk, figures)
            bar.update(len(planned[start : start + batch]))
    _reset_sequences()
    return len(planned)


@dataclass
class _OrderFigures:
    """An order's figures for the money rule, shared by its returns."""

    lines_returned: int = 0  # what the lines of its live returns cost
    given: int = 0  # given back so far: refunds, store credit without its bonus, exchanges


@dataclass
class _Books:
    """The figures the money rule reads for one return: its order's, and its own."""

    order: _OrderFigures
    lines_returned: int
    refunds: int = 0
    credit: int = 0
    exchange: int = 0

    @classmethod
    def open(cls, rr: ReturnRequest, figures: dict[int, _OrderFigures]) -> "_Books":
        """A return counts what its lines cost unless it is dead (cancelled or rejected)."""
        order = figures.setdefault(rr.order.pk, _OrderFigures())
        live = rr.status not in money_rule.DEAD_RETURN_STATUSES
        if live:
            order.lines_returned += rr.quoted_amount
        return cls(order=order, lines_returned=rr.quoted_amount if live else 0)

    def give(self, amount: int, *, to: str) -> None:
        """Count `amount` as given back (a negative one: taken back, as a failed refund is) as `to`."""
        self.order.given += amount
        setattr(self, to, getattr(self, to) + amount)


def _write_chunk(rng: random.Random, chunk: list[PlannedReturn], desk: Desk, figures: dict[int, _OrderFigures]) -> None:
    """Make one chunk's rows, step by step along each return's path, then write them in one transaction.

    The rule is asked (`_refused`) before each step that gives money back makes its row: a refusal raises
    before anything of the chunk is written.
    """
    rows = Rows()
    for plan in chunk:
        rr = open_return(rng, plan, desk, rows)
        books, state, attempt = _Books.open(rr, figures), S.REQUESTED, 0
        for action, moment in zip(plan.path, plan.times[1:], strict=True):
            actor = record_transition(rng, desk, rows, rr, action=action, state=state, moment=moment)
            if action in ASKED:
                amount = rr.quoted_amount if action == "ship_exchange" else rr.refund_amount
                _refused(plan.order, rr.rma_number, books, amount, ASKED[action])
            if action == "request_refund_approval":
                _ask_for_approval(rr, desk.asker, state, moment)
            elif action in ("issue_refund", "approve_refund"):
                attempt += 1
                books.give(rr.refund_amount, to="refunds")
                rows.refunds.append(Refund(amount=rr.refund_amount, **_bank_refund(rng, rr, attempt, actor, moment)))
            elif action in ("refund_succeeded", "refund_failed"):
                _refund_answered(rng, rows.refunds[-1], books, failed=action == "refund_failed")
            elif action == "ship_exchange":
                books.give(rr.quoted_amount, to="exchange")
                rr.exchange_value = rr.quoted_amount  # like for like: what was paid for each line, times the quantity
                replacement = Order(amount_paid=0, **_replacement(rng, plan.order, rr, moment))
                rows.exchanges.append((rr, replacement, [(line, qty) for line, qty, _ in plan.picks]))
            elif action == "issue_store_credit":
                # The settlement counts; the policy's bonus on top is the shop's gift, accounted apart.
                books.give(rr.refund_amount, to="credit")
                bonus = percent_of(rr.refund_amount, desk.bonus_percent)
                credit = _credit(rr, moment)
                rows.credits.append(
                    StoreCredit(kind=StoreCredit.Kind.ISSUE, amount=rr.refund_amount + bonus, bonus=bonus, **credit)
                )
            state = desk.table[(state, action)]
            milestones.stamp(rr, action=action, to_state=state, moment=moment)
    with transaction.atomic():
        Order.objects.bulk_create([replacement for _, replacement, _ in rows.exchanges], batch_size=1000)
        write_returns(rows)
        Refund.objects.bulk_create(rows.refunds, batch_size=2000)
        StoreCredit.objects.bulk_create(rows.credits, batch_size=2000)


def _refused(order: Order, rma: str, books: _Books, amount: int, what: str) -> None:
    """The order's money rule on the figures held in memory (`money_rule.refusal`, the rule itself)."""
    position = money_rule.MoneyPosition(
        currency=order.currency,
        paid=order.amount_paid,
        withdrawn=0,  # chargebacks come after the returns in the demo
        order_lines_returned=books.order.lines_returned,
        order_given=books.order.given,
        return_lines_returned=books.lines_returned,
        return_refunds=books.refunds,
        return_credit=books.credit,
        return_exchange=books.exchange,
    )
    why = money_rule.refusal(position, amount, what=what)
    if why:
        raise money_rule.MoneyRuleRefused(f"{rma} ({order.number}): {why}")


def _ask_for_approval(rr: ReturnRequest, asker, state: str, moment: dt.datetime) -> None:
    rr.requested_outcome, rr.requested_amount = "refund", rr.refund_amount
    rr.requested_reason = "The customer is a regular; please confirm the amount."
    rr.requested_by, rr.requested_at, rr.requested_from = asker, moment, state


def _bank_refund(rng: random.Random, rr: ReturnRequest, attempt: int, actor, moment: dt.datetime) -> dict:
    """A manual refund's record but for its amount: made in the bank first, then recorded with its reference."""
    return {
        "return_request_id": rr.pk,
        "order": rr.order,
        "attempt": attempt,
        "currency": rr.currency,
        "provider": Refund.Provider.MANUAL,
        "provider_refund_id": f"BANK-{rng.randrange(10**6, 10**7)}",
        "idempotency_key": f"refund-{rr.rma_number}-attempt-{attempt}",
        "status": Refund.Status.PENDING,
        "requested_by": actor,
        "created_at": moment,
        "updated_at": moment,
    }


def _refund_answered(rng: random.Random, refund: Refund, books: _Books, *, failed: bool) -> None:
    """The bank's answer to the return's last refund; a failed refund gave nothing back."""
    if not failed:
        refund.status = Refund.Status.SUCCEEDED
        return
    refund.status, refund.failure_reason = Refund.Status.FAILED, rng.choice(FAILURES)
    refund.failure_code = "manual"
    books.give(-refund.amount, to="refunds")


def _replacement(rng: random.Random, original: Order, rr: ReturnRequest, moment: dt.datetime) -> dict:
    """The exchange's replacement order but for its price: to the same customer, shipped at `moment`."""
    return {
        "number": f"{original.number}-X{rr.pk}",
        "email": original.email,
        "customer_name": original.customer_name,
        "shipping_address": original.shipping_address,
        "placed_at": moment,
        "currency": original.currency,
        "shipment_carrier": rng.choice(CARRIERS),
        "shipment_tracking_number": f"EXC{rng.randrange(10**9, 10**10)}",
    }


def _credit(rr: ReturnRequest, moment: dt.datetime) -> dict:
    """An issue of store credit but for its amounts: a new code for the customer, good for a year."""
    return {
        "email": rr.email,
        "currency": rr.currency,
        "code": new_store_credit_code(),
        "return_request_id": rr.pk,
        "expires_on": (moment + dt.timedelta(days=365)).date(),
        "created_at": moment,
    }


def _reset_sequences() -> None:
    """Explicit primary keys leave PostgreSQL's sequences behind; move them on."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [ReturnRequest]):
            cursor.execute(sql)
