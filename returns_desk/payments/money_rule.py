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

from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.money import format_money, percent_of

from .models import Dispute, Refund, StoreCredit

# Items the warehouse turned away are not the shop's to pay for.
NOT_RETURNED_OUTCOMES = ("rejected", "missing", "wrong_item")
DEAD_RETURN_STATUSES = ("cancelled", "rejected")


class MoneyRuleRefused(ServiceError):
    """The amount would give back more than the order's money rule allows; nothing was written."""


class AboveLimit(ActionForbidden):
    """The amount is above the acting VA's limit: a manager must approve it."""


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


def _total(queryset, value, *, by: str):
    """A correlated scalar subquery: the sum of `value` over `queryset`'s rows for the outer row (0 if none)."""
    summed = queryset.order_by().values(by).annotate(total=Sum(value)).values("total")
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


def positions_for(returns: Iterable) -> dict[int, MoneyPosition]:
    """The figures for each return and its order, summed from the tables in one statement (a row per return
    of the orders concerned, with a scalar subquery per kind of money), however many returns are asked for:
    an approvals page shows one per row."""
    from returns_desk.returns.models import ReturnItem, ReturnRequest

    returns = list(returns)
    order_ids = {rr.order_id for rr in returns}
    if not order_ids:
        return {}
    rows = (
        ReturnRequest.objects.filter(order_id__in=order_ids)
        .annotate(
            money_lines=Case(
                When(status__in=DEAD_RETURN_STATUSES, then=Value(0)),
                default=_total(
                    ReturnItem.objects.filter(return_request=OuterRef("pk")).exclude(outcome__in=NOT_RETURNED_OUTCOMES),
                    F("order_line__unit_price") * F("quantity"),
                    by="return_request",
                ),
            ),
            money_refunds=_total(
                Refund.objects.filter(return_request=OuterRef("pk"), status__in=Refund.ACTIVE_STATUSES),
                "amount",
                by="return_request",
            ),
            money_credit=_total(
                StoreCredit.objects.filter(return_request=OuterRef("pk"), kind=StoreCredit.Kind.ISSUE),
                F("amount") - F("bonus"),
                by="return_request",
            ),
            money_withdrawn=_total(Dispute.objects.filter(order=OuterRef("order_id")), "funds_withdrawn", by="order"),
        )
        .values_list(
            "pk", "order_id", "money_lines", "money_refunds", "money_credit", "exchange_value", "money_withdrawn"
        )
    )
    own: dict[int, tuple[int, int, int, int]] = {}
    orders: dict[int, dict[str, int]] = {}
    for pk, order_id, lines, refunds, credit, exchange, withdrawn in rows:
        own[pk] = (lines, refunds, credit, exchange or 0)
        totals = orders.setdefault(order_id, {"lines": 0, "given": 0, "withdrawn": withdrawn})
        totals["lines"] += lines
        totals["given"] += refunds + credit + (exchange or 0)
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
    """Everything already given back for an order (refunds, credit base, replacements, chargebacks), in one
    statement: what a new quote for it is capped by."""
    from returns_desk.orders.models import Order
    from returns_desk.returns.models import ReturnRequest

    figures = (
        Order.objects.filter(pk=order.pk)
        .annotate(
            money_refunds=_total(
                Refund.objects.filter(order=OuterRef("pk"), status__in=Refund.ACTIVE_STATUSES), "amount", by="order"
            ),
            money_credit=_total(
                StoreCredit.objects.filter(return_request__order=OuterRef("pk"), kind=StoreCredit.Kind.ISSUE),
                F("amount") - F("bonus"),
                by="return_request__order",
            ),
            money_exchanges=_total(ReturnRequest.objects.filter(order=OuterRef("pk")), "exchange_value", by="order"),
            money_withdrawn=_total(Dispute.objects.filter(order=OuterRef("pk")), "funds_withdrawn", by="order"),
        )
        .values_list("money_refunds", "money_credit", "money_exchanges", "money_withdrawn")
        .first()
    )
    return sum(figures or ())


def position_for(return_request) -> MoneyPosition:
    """The figures for one return and its order, read now (under the caller's locks when it gives money)."""
    return positions_for([return_request])[return_request.pk]


# --- the gate -------------------------------------------------------------------------------------


def limit_for(actor: Actor, return_request) -> int | None:
    """The most this actor may give back without a manager; None when no limit applies (managers, system)."""
    from returns_desk.returns import permissions as can

    if actor.kind != Actor.STAFF or can.is_manager(actor.user):
        return None
    return can.refund_limit_for(actor.user, default=return_request.quoted_terms().agent_refund_limit)


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
            f"{position.money(counted)} is above your limit of {position.money(limit)}; ask a manager to approve it."
        )
    return {**position.as_data(), "amount": amount, "counted": counted, "limit": limit}
