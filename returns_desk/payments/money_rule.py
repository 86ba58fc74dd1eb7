"""The order's money rule: nothing is given back beyond what was paid for what came back.

For each order, the base value of everything given back for its returns — refunds pending or succeeded,
store credit issued (without the policy's bonus, accounted apart), replacements shipped — plus what a
chargeback took (funds withdrawn) never exceeds what was paid; and what one return gives back never exceeds
what was paid for its own returned lines. The figures are read from the tables every time, never kept as a
balance, and `authorize` is the gate every money outcome passes through, under the order's row lock,
whoever starts it: desk, admin, portal, task, webhook or the demo seeder.

`refusal` is the rule itself, a pure function: the bulk demo seeder applies it to figures it holds.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Sum

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.money import format_money, percent_of
from returns_desk.orders.models import OrderLine
from returns_desk.returns.models import ReturnItem, ReturnRequest
from returns_desk.staff.roles import is_manager, refund_limit_for

from .models import Dispute, Refund, StoreCredit

# Items the warehouse turned away are not the shop's to pay for.
NOT_RETURNED_OUTCOMES = ("rejected", "missing", "wrong_item")
DEAD_RETURN_STATUSES = ("cancelled", "rejected")


class MoneyRuleRefused(ServiceError):
    """The amount would give back more than the order's money rule allows; nothing was written."""


class AboveLimit(ActionForbidden):
    """The amount is above the acting VA's limit: a manager must approve it."""

    def __init__(self, message: str, *, over_limit: str = ""):
        super().__init__(message)
        self.over_limit = over_limit  # "above your limit of $200.00 ($289.47 with the bonus)", for a form's notice


@dataclass(frozen=True)
class MoneyPosition:
    """What an order (and one of its returns) paid, has given back, and may still give back."""

    currency: str
    paid: int  # the order's total charge
    withdrawn: int  # held back by the bank for chargebacks
    order_lines_returned: int  # paid for the lines of the order's live returns
    order_given: int  # refunds + credit base + replacements, all returns of the order
    return_lines_returned: int  # paid for this return's lines
    return_refunds: int
    return_credit: int
    return_exchange: int

    @property
    def return_given(self) -> int:
        return self.return_refunds + self.return_credit + self.return_exchange

    @property
    def order_remaining(self) -> int:
        return max(0, min(self.paid - self.withdrawn - self.order_given, self.order_lines_returned - self.order_given))

    @property
    def remaining(self) -> int:
        """What this return may still give back: its own lines' room, within the order's."""
        return max(0, min(self.order_remaining, self.return_lines_returned - self.return_given))

    def money(self, amount: int) -> str:
        return format_money(amount, self.currency)

    @property
    def remaining_display(self) -> str:
        return self.money(self.remaining)

    def as_data(self) -> dict:
        """For the timeline: the figures the decision was made on."""
        return {
            "paid": self.paid,
            "withdrawn": self.withdrawn,
            "given_before": self.return_given,
            "order_given_before": self.order_given,
            "remaining_before": self.remaining,
        }


def refusal(position: MoneyPosition, amount: int, *, what: str = "give back") -> str | None:
    """The rule: why `amount` may not be given back now, in words for the person asking, or None."""
    if amount <= 0:
        return f"The amount to {what} must be more than zero."
    if amount <= position.remaining:
        return None
    money = position.money
    parts = [f"only {money(position.remaining)} can still be given back for this return"]
    if position.return_given:
        parts.append(f"{money(position.return_given)} of its {money(position.return_lines_returned)} already was")
    if position.withdrawn:
        parts.append(f"a chargeback took {money(position.withdrawn)}")
    return f"Refusing to {what} {money(amount)}: {'; '.join(parts)} (order paid {money(position.paid)})."


def bonus_refusal(*, base: int, bonus: int, percent: float, currency: str) -> str | None:
    """Store credit's bonus is the policy's percentage of its base, never more."""
    allowed = percent_of(base, percent)
    if bonus < 0 or bonus > allowed:
        return (
            f"A store credit bonus of {format_money(bonus, currency)} is more than the {percent:g}% "
            f"({format_money(allowed, currency)}) the return was quoted."
        )
    return None


# --- reading the figures --------------------------------------------------------------------------


# The figures in one statement, a scalar subquery per kind of money. Written as SQL because Django takes ~6 ms
# to compile the same four correlated subqueries, and every ticket page and customer submit reads them.
_FIGURES_SQL = """
SELECT r.id, r.order_id,
  CASE WHEN r.status IN ({dead}) THEN 0 ELSE COALESCE((
    SELECT SUM(l.unit_price * i.quantity) FROM {item} i JOIN {line} l ON l.id = i.order_line_id
    WHERE i.return_request_id = r.id AND i.outcome NOT IN ({not_returned})), 0) END,
  COALESCE((SELECT SUM(f.amount) FROM {refund} f WHERE f.return_request_id = r.id AND f.status IN ({active})), 0),
  COALESCE((SELECT SUM(c.amount - c.bonus) FROM {credit} c WHERE c.return_request_id = r.id AND c.kind = %s), 0),
  COALESCE(r.exchange_value, 0),
  COALESCE((SELECT SUM(d.funds_withdrawn) FROM {dispute} d WHERE d.order_id = r.order_id), 0)
FROM {ret} r WHERE r.order_id IN ({orders})
"""


def _figures(order_ids: list[int]) -> list[tuple[int, int, int, int, int, int, int]]:
    """(return id, order id, lines paid, refunds, credit base, replacements, withdrawn) for every return of the
    orders, read from the tables now."""
    marks = lambda values: ", ".join(["%s"] * len(values))  # noqa: E731
    sql = _FIGURES_SQL.format(
        dead=marks(DEAD_RETURN_STATUSES),
        not_returned=marks(NOT_RETURNED_OUTCOMES),
        active=marks(Refund.ACTIVE_STATUSES),
        orders=marks(order_ids),
        item=ReturnItem._meta.db_table,
        line=OrderLine._meta.db_table,
        refund=Refund._meta.db_table,
        credit=StoreCredit._meta.db_table,
        dispute=Dispute._meta.db_table,
        ret=ReturnRequest._meta.db_table,
    )
    params: list[str | int] = [
        *DEAD_RETURN_STATUSES,
        *NOT_RETURNED_OUTCOMES,
        *[str(s) for s in Refund.ACTIVE_STATUSES],
        StoreCredit.Kind.ISSUE.value,
        *order_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (int(a or 0), int(b or 0), int(c or 0), int(d or 0), int(e or 0), int(f or 0), int(g or 0))
            for a, b, c, d, e, f, g in cursor.fetchall()
        ]


def positions_for(returns: Iterable) -> dict[int, MoneyPosition]:
    """The figures for each return and its order, summed from the tables in one statement, however many
    returns are asked for (an approvals page shows one per row)."""
    returns = list(returns)
    order_ids = sorted({rr.order_id for rr in returns})
    if not order_ids:
        return {}
    own: dict[int, tuple[int, int, int, int]] = {}
    orders: dict[int, dict[str, int]] = {}
    for pk, order_id, lines, refunds, credit, exchange, withdrawn in _figures(order_ids):
        own[pk] = (lines, refunds, credit, exchange)
        totals = orders.setdefault(order_id, {"lines": 0, "given": 0, "withdrawn": withdrawn})
        totals["lines"] += lines
        totals["given"] += refunds + credit + exchange
    positions = {}
    for rr in returns:
        lines, refunds, credit, exchange = own.get(rr.pk, (0, 0, 0, 0))
        totals = orders.get(rr.order_id, {"lines": 0, "given": 0, "withdrawn": 0})
        positions[rr.pk] = MoneyPosition(
            currency=rr.order.currency,
            paid=rr.order.amount_paid,
            withdrawn=totals["withdrawn"],
            order_lines_returned=totals["lines"],
            order_given=totals["given"],
            return_lines_returned=lines,
            return_refunds=refunds,
            return_credit=credit,
            return_exchange=exchange,
        )
    return positions


def order_given_back(order) -> int:
    """Everything already given back for an order (refunds, credit base, replacements, chargebacks): what a
    new quote for it is capped by. An order with no return yet can still have lost a chargeback."""
    rows = _figures([order.pk])
    if rows:
        return sum(refunds + credit + exchange for _, _, _, refunds, credit, exchange, _ in rows) + rows[0][6]
    return Dispute.objects.filter(order_id=order.pk).aggregate(s=Sum("funds_withdrawn"))["s"] or 0


def position_for(return_request) -> MoneyPosition:
    """The figures for one return and its order, read now (under the caller's locks when it gives money)."""
    return positions_for([return_request])[return_request.pk]


# --- the gate -------------------------------------------------------------------------------------


def limit_for(actor: Actor, return_request) -> int | None:
    """The most this actor may give back without a manager; None when no limit applies (managers, system)."""
    if actor.kind != Actor.STAFF or is_manager(actor.user):
        return None
    return refund_limit_for(actor.user, default=return_request.quoted_terms().agent_refund_limit)


def authorize(*, return_request, amount: int, counted: int | None = None, by: Actor, what: str) -> dict:
    """Check `amount` against the order's money rule and `counted` (default: the amount) against the acting
    VA's limit. The caller holds the order's and the return's row locks, so the figures cannot move until
    its transaction commits. Returns the figures for the timeline; raises with words, having written nothing.
    """
    position = position_for(return_request)
    why = refusal(position, amount, what=what)
    if why:
        raise MoneyRuleRefused(why)
    counted = amount if counted is None else counted
    limit = limit_for(by, return_request)
    if limit is not None and counted > limit:
        raise AboveLimit(
            f"{position.money(counted)} is above your limit of {position.money(limit)}; ask a manager to approve it.",
            over_limit=f"above your limit of {position.money(limit)}"
            + (f" ({position.money(counted)} in all)" if counted != amount else ""),
        )
    return {**position.as_data(), "amount": amount, "counted": counted, "limit": limit}
