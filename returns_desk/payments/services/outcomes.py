"""The money transitions of a return: refund, store credit, exchange, and a manager's approval of any of them.

Each passes the order's money rule (`money_rule.authorize`, under the order's and the return's row locks) and
the acting VA's limit; above the limit a VA asks a manager, who approves up to the rule's ceiling. They run
through the returns engine like every transition; the step object of each decides the money under the locks
and then knows the words for the timeline (staff) and for the customer.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from returns_desk.core.actors import Actor, display_name
from returns_desk.core.dates import long_date
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import format_money
from returns_desk.orders.models import Product
from returns_desk.orders.services import order_create_replacement
from returns_desk.payments.selectors import store_credit_balance
from returns_desk.returns.models import Resolution, ReturnItem, ReturnRequest, ReturnStatus
from returns_desk.returns.pricing import returnless_settlement
from returns_desk.returns.services import required, run_transition

from .refunds import refund_record_for_return
from .store_credit import exchange_authorize, store_credit_issue_for_return


def _person_and_limit(decision: dict, by: Actor, currency: str) -> str:
    who = display_name(by.user) if by.kind == Actor.STAFF and by.user else by.kind.capitalize()
    limit = decision.get("limit")
    if limit is None:
        return f"by {who} (no limit applies)"
    return f"by {who} (within the limit of {format_money(limit, currency)})"


def _decision_body(
    what: str, amount: int, decision: dict, by: Actor, rr: ReturnRequest, reason: str = "", extra: str = ""
) -> str:
    """Who gave back what, under which limit, and what remained: the money decision in words. `what` ends with
    its verb: "Refund sent" reads "Refund of $40.00 sent by Ana (within the limit of $200.00); …"."""
    noun, _, verb = what.rpartition(" ")
    body = (
        f"{noun} of {format_money(amount, rr.currency)}{extra} {verb} {_person_and_limit(decision, by, rr.currency)}; "
        f"{format_money(decision['remaining_before'], rr.currency)} remained refundable."
    )
    settled = rr.refund_amount
    if settled is not None and amount != settled and noun != "Exchange":
        body += f" Settled at inspection: {format_money(settled, rr.currency)}."
    return f"{body} Reason: {reason}" if reason else body


def checked_override(rr: ReturnRequest, amount: int | None, reason: str, default: int) -> int:
    """The amount a person typed, or the settlement; a different figure needs a reason."""
    if amount is None:
        return default
    if amount <= 0:
        raise ServiceError("The amount must be more than zero.")
    if amount != default and not reason.strip():
        raise ServiceError(f"Say why the amount differs from the settlement of {format_money(default, rr.currency)}.")
    return amount


def last_refund_amount(rr: ReturnRequest) -> int:
    last = rr.refunds.order_by("-attempt").values_list("amount", flat=True).first()
    return last if last is not None else (rr.refund_amount or 0)


class MoneyStep(ABC):
    """What a money transition gives back, decided under the locks by `apply`; only then are its words known
    (`body` for the timeline, `customer` for the customer)."""

    body = ""
    customer = ""

    @abstractmethod
    def apply(self, rr: ReturnRequest) -> dict:
        """Give the money (through the money rule) and return the figures for the timeline event."""


class RefundStep(MoneyStep):
    def __init__(self, by: Actor, *, amount: int | None = None, reason: str = "", reference: str = ""):
        self.by, self.amount, self.reason, self.reference = by, amount, reason, reference

    def amount_of(self, rr: ReturnRequest) -> int:
        return (rr.refund_amount or 0) if self.amount is None else self.amount

    def apply(self, rr: ReturnRequest) -> dict:
        amount = self.amount_of(rr)
        refund, decision = refund_record_for_return(
            return_request=rr, by=self.by, amount=amount, reference=self.reference
        )
        manual = refund.provider == "manual"
        what = "Refund recorded" if manual else "Refund sent"
        self.body = _decision_body(what, amount, decision, self.by, rr, self.reason)
        by_when = long_date(refund.expected_by)
        self.customer = (
            f"We refunded {refund.amount_display} (payment reference {refund.provider_refund_id}); "
            f"you should see it by {by_when}."
            if manual
            else f"We sent a refund of {refund.amount_display} to your original payment method; "
            f"you should see it by {by_when}."
        )
        return {"money": {"outcome": "refund", **decision}, "refund_id": refund.pk, "amount": amount}


class OverriddenRefund(RefundStep):
    """The settlement (or, for a retry, the failed attempt's amount), or a figure typed with a reason."""

    def __init__(self, by: Actor, *, amount: int | None, reason: str, reference: str, retry: bool = False):
        super().__init__(by, amount=amount, reason=reason.strip(), reference=reference)
        self.retry = retry

    def amount_of(self, rr: ReturnRequest) -> int:
        default = last_refund_amount(rr) if self.retry else (rr.refund_amount or 0)
        return checked_override(rr, self.amount, self.reason, default)


class CreditStep(MoneyStep):
    """Store credit for the settlement (or a figure typed with a reason), plus the quoted terms' bonus (on
    `bonus_on` of it when only part earns one)."""

    def __init__(
        self,
        by: Actor,
        *,
        amount: int | None = None,
        reason: str = "",
        checked: bool = True,
        bonus_on: int | None = None,
    ):
        self.by, self.amount, self.reason, self.checked, self.bonus_on = by, amount, reason.strip(), checked, bonus_on

    def apply(self, rr: ReturnRequest) -> dict:
        # After a failed refund, the credit replaces what failed (on a return settled item by item, its refund part).
        default = last_refund_amount(rr) if rr.status == ReturnStatus.REFUND_FAILED else (rr.refund_amount or 0)
        base = (checked_override(rr, self.amount, self.reason, default) if self.checked else self.amount) or 0
        entry, decision = store_credit_issue_for_return(
            return_request=rr, by=self.by, base=base, bonus_on=self.bonus_on
        )
        bonus = f" plus a bonus of {format_money(entry.bonus, rr.currency)}" if entry.bonus else ""
        extra = f"{bonus} ({entry.code})"
        self.body = _decision_body("Store credit issued", base, decision, self.by, rr, self.reason, extra)
        until = f", valid until {long_date(entry.expires_on)}" if entry.expires_on else ""
        self.customer = f"Store credit of {entry.amount_display} issued: code {entry.code}{until}."
        return {
            "money": {"outcome": "store_credit", **decision},
            "store_credit_code": entry.code,
            "amount": entry.amount,
            "bonus": entry.bonus,
            "balance": store_credit_balance(rr.email),  # the customer's, this credit included, for their email
        }


@dataclass(frozen=True)
class Replacement:
    sku: str
    quantity: int
    value: int  # what it is worth to the money rule


def exchanged_items(rr: ReturnRequest) -> list[ReturnItem]:
    """The accepted items to replace: all of them, or on a return settled item by item those asking for one."""
    accepted = rr.items.select_related("order_line", "exchange_product")
    items = [i for i in accepted if i.outcome == ReturnItem.Outcome.ACCEPTED]
    if rr.resolution == Resolution.MIXED:
        items = [i for i in items if i.resolution == Resolution.EXCHANGE]
    return items


def replacements_for(rr: ReturnRequest, chosen: dict[int, str]) -> list[Replacement]:
    """The VA's choice first, then the customer's, then the same SKU again; each valued for the money rule:
    like for like at what was paid for the line, another size or colour at its price today."""
    items = exchanged_items(rr)
    if not items:
        raise ServiceError("No item was accepted at inspection, so there is nothing to exchange.")
    if set(chosen) - {i.pk for i in items}:
        raise ServiceError("Replacements can only be chosen for this return's accepted items.")
    wanted = [
        (i, chosen.get(i.pk) or (i.exchange_product.sku if i.exchange_product else i.order_line.sku)) for i in items
    ]
    prices = dict(Product.objects.filter(sku__in={sku for _, sku in wanted}).values_list("sku", "price"))
    result = []
    for item, sku in wanted:
        if sku == item.order_line.sku:
            unit = item.order_line.unit_price
        elif sku in prices:
            unit = prices[sku]
        else:
            raise ServiceError(f"There is no product {sku}.")
        result.append(Replacement(sku, item.quantity, unit * item.quantity))
    return result


class ExchangeStep(MoneyStep):
    """Replacements shipped as a zero-priced order; their value passes the money rule like any outcome.
    Replacements worth less than the exchange's settlement leave a difference, given back as store credit
    (without a bonus) in the same step."""

    def __init__(
        self,
        by: Actor,
        *,
        carrier: str,
        tracking_number: str,
        chosen: dict[int, str],
        reason: str = "",
        settled: int | None = None,
    ):
        self.by, self.carrier, self.tracking_number, self.chosen, self.reason = (
            by,
            carrier,
            tracking_number,
            chosen,
            reason,
        )
        self.settled = settled  # the part of the settlement for the exchange; all of it unless said
        self.difference = 0

    def apply(self, rr: ReturnRequest) -> dict:
        replacements = replacements_for(rr, self.chosen)
        value = sum(r.value for r in replacements)
        settled = (rr.refund_amount or 0) if self.settled is None else self.settled
        decision = exchange_authorize(return_request=rr, value=value, settled=settled, by=self.by)
        replacement = order_create_replacement(
            original=rr.order,
            items=[(r.sku, r.quantity) for r in replacements],
            number=f"{rr.order.number}-X{rr.pk}",
            carrier=self.carrier,
            tracking_number=self.tracking_number,
        )
        rr.exchange_order, rr.exchange_value = replacement, value
        shipped = f"{self.carrier} {self.tracking_number}"
        self.body = f"Replacement shipped: {shipped}. " + _decision_body(
            "Exchange shipped", value, decision, self.by, rr, self.reason
        )
        self.customer = f"Your replacement is on its way: {shipped}".strip() + "."
        result = {
            "money": {"outcome": "exchange", **decision},
            "exchange_order": replacement.number,
            "skus": [r.sku for r in replacements],
            "exchange_value": value,
        }
        self.difference = max(settled - value, 0)
        if self.difference and self.settled is None:  # on its own; `SettleStep` adds it to the item's credit
            credit = CreditStep(self.by, amount=self.difference, checked=False, bonus_on=0)
            result["difference"] = credit.apply(rr)
            self.body += f" The cheaper replacement's difference: {credit.body}"
            self.customer += f" It cost less, so we gave back the difference. {credit.customer}"
        return result


def run_money(rr: ReturnRequest, action: str, by: Actor, step: MoneyStep, *, prepare=None, data=None):
    """A money transition: the order is locked first, and the event's words are the decision the step made."""
    return run_transition(
        return_request=rr,
        action=action,
        by=by,
        prepare=prepare,
        apply=step.apply,
        lock_order=True,
        data=data,
        body=lambda: step.body,
        customer_body=lambda: step.customer,
    )


def return_issue_refund(
    *,
    return_request: ReturnRequest,
    by: Actor,
    amount: int | None = None,
    override_reason: str = "",
    reference: str = "",
) -> ReturnRequest:
    """Send the refund (within the VA's limit and the money rule); a figure other than the settlement needs a
    reason. The settlement itself is never changed."""
    step = OverriddenRefund(by, amount=amount, reason=override_reason, reference=reference)
    return run_money(return_request, "issue_refund", by, step)


def return_retry_refund(
    *, return_request: ReturnRequest, by: Actor, amount: int | None = None, reason: str = "", reference: str = ""
) -> ReturnRequest:
    """A new refund attempt after a failure: the same amount as the failed one by default, the same rule, the
    same limit (a manager-approved amount above the VA's limit goes back to a manager)."""
    step = OverriddenRefund(by, amount=amount, reason=reason, reference=reference, retry=True)
    return run_money(return_request, "retry_refund", by, step)


def return_refund_without_return(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    """Refund now and let the customer keep the item, when the quoted terms' threshold allows it."""

    def prepare(rr: ReturnRequest) -> None:
        rr.returnless, rr.refund_amount = True, returnless_settlement(rr)

    step = RefundStep(by, reference=reference)
    return run_money(return_request, "refund_without_return", by, step, prepare=prepare)


def return_issue_store_credit(
    *, return_request: ReturnRequest, by: Actor, amount: int | None = None, reason: str = ""
) -> ReturnRequest:
    """Store credit for the settlement (or a figure given with a reason), plus the quoted terms' bonus."""
    return run_money(return_request, "issue_store_credit", by, CreditStep(by, amount=amount, reason=reason))


def return_ship_exchange(
    *,
    return_request: ReturnRequest,
    by: Actor,
    carrier: str,
    tracking_number: str,
    replacement_skus: dict[int, str] | None = None,
) -> ReturnRequest:
    """Ship replacements as a zero-priced order (`replacement_skus`: return item id -> SKU); stock is taken,
    never below zero, and the replacements' value passes the money rule like any other outcome."""
    tracking_number = required(tracking_number, "the tracking number of the replacement")
    carrier = carrier.strip()
    step = ExchangeStep(by, carrier=carrier, tracking_number=tracking_number, chosen=replacement_skus or {})
    data = {"carrier": carrier, "tracking_number": tracking_number}
    return run_money(return_request, "ship_exchange", by, step, data=data)
