"""The order's money rule under random sequences of staff, provider and bank actions.

A hypothesis state machine builds one or two orders with two to four returns each (inspected, or approved
for a refund without return; some with a line turned away at inspection; some orders discounted, some with
shipping paid), then drives random steps: refunds, retries, store credit and exchanges with overrides
(absurd ones included), approval requests for every outcome, approvals and denials, by two VAs (limits from
a staff profile or from the quoted terms) and a manager; the provider's answers (success, failure,
cancellation, requires-action, late failure after success), given directly, through a stored webhook event
or by staff confirming a manual refund; chargebacks opened, withdrawn, appealed, won, lost and reinstated
(some delivered late, out of order); stored webhook events processed again; and the policy edited meanwhile
(the returns keep the terms they were quoted).

After every step it checks, from its own sums over the tables (never through `money_rule`):

1. no return has given back more than was paid for its lines that came back;
2. no order has given back more than was paid, and no step but the bank's pushes "given back + withdrawn by
   chargebacks" above what was paid (or above where the bank had already put it);
3. every store credit bonus is within the quoted percentage of its base;
4. the timeline matches the rows: one money event per refund, credit and exchange, with the row's figures,
   no event claiming money without a row, the decision's figures (paid, withdrawn, given before, remaining)
   equal to the sums before the step, and each provider or dispute news pointing at the row it is about;
5. no VA gave anything above their limit without a manager.

A refused step (any `ServiceError`) must leave every row as it was, and a refusal by the money rule or by a
limit must be deserved (the amount above the room left, the VA's figure above their limit); any other
exception fails the test. An event processed again moves no money and changes no return's state.

Each example runs in its own savepoint, rolled back at teardown, so it starts from clean tables. CI runs the
same (derandomized) examples every time; to explore further by hand:
MONEY_STATEFUL_RANDOM=1 MONEY_STATEFUL_EXAMPLES=400 MONEY_STATEFUL_STEPS=40 (add MONEY_STATEFUL_STATS=1, or
=why, and -s to see how many steps each rule did and why the others were refused).
"""

import datetime as dt
import itertools
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import percent_of
from returns_desk.orders.models import Order, Product
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute, Refund, StoreCredit, StripeEvent
from returns_desk.payments.money_rule import AboveLimit, MoneyRuleRefused
from returns_desk.payments.webhooks import process_stored_event
from returns_desk.policies.models import ReasonCode, ReturnPolicy
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest
from returns_desk.staff.models import StaffProfile
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnItemFactory,
    UserFactory,
    return_in_state,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("MONEY_STATEFUL_EXAMPLES", "30"))
STEPS = int(os.environ.get("MONEY_STATEFUL_STEPS", "30"))
OUTCOMES: Counter = Counter()  # steps done and refused, by rule: MONEY_STATEFUL_STATS=1 prints them (with -s)

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
ACTIVE = {"pending", "requires_action", "succeeded"}
NOT_RETURNED = {"rejected", "missing", "wrong_item"}
DEAD = {"cancelled", "rejected"}
AGENTS = ("ana", "ben")
WHO = st.sampled_from(["ana", "ben", "morgan"])
DECIDER = st.sampled_from(["morgan", "morgan", "ana"])  # who approves or denies (a VA may not)
PICK = st.integers(0, 8)  # which return (or refund, order, dispute): taken modulo how many there are
DISPUTE_EVENTS = 6  # at most, per example, while the desk has work
DESK_WORK = ("inspected", "approved", "awaiting_approval", "refund_pending", "refund_failed", "resolved")
TARGETED = 7  # a pick below this chooses among the returns (or refunds) the step can work on

# An amount typed by staff: none (the default), one worked out from the figures now, or a figure from nowhere.
AMOUNT = st.one_of(
    st.none(),
    st.sampled_from(["remaining", "remaining+1", "settled", "lines", "paid", "half", 1, 0, -1, 999_999_999_999]),
    st.integers(1, 60_000),
)
REASON = st.sampled_from([True, True, True, False])  # whether staff say why an amount differs
# (unit price, quantity, state, price of a second line turned away at inspection or 0). An approved return is
# one the policy may let the customer keep (quoted at most $15.00), or just above.
RETURN_SPEC = st.one_of(
    st.tuples(
        st.one_of(st.sampled_from([100, 1_500, 5_000, 19_999, 20_000, 20_001, 45_000]), st.integers(1, 60_000)),
        st.sampled_from([1, 1, 2]),
        st.just("inspected"),
        st.sampled_from([0, 0, 700]),
    ),
    st.tuples(st.sampled_from([1, 700, 750, 1_500, 1_501]), st.just(1), st.just("approved"), st.just(0)),
)
ORDER_SPEC = st.tuples(
    st.lists(RETURN_SPEC, min_size=2, max_size=4),
    st.sampled_from([0, 0, 0, 1, 10, 50]),  # discount, percent of the lines
    st.sampled_from([0, 0, 595]),  # shipping paid on top
)
# Dispute news as Stripe sends it: (event type, status).
DISPUTE_NEWS = st.one_of(
    st.sampled_from(  # opened, or still open (an appeal reopens a lost one)
        [
            ("charge.dispute.created", "needs_response"),
            ("charge.dispute.created", "warning_needs_response"),
            ("charge.dispute.created", "under_review"),
            ("charge.dispute.funds_withdrawn", "needs_response"),
            ("charge.dispute.funds_withdrawn", "under_review"),
            ("charge.dispute.updated", "under_review"),
            ("charge.dispute.updated", "warning_under_review"),
            ("charge.dispute.updated", "appeal_needs_response"),
            ("charge.dispute.updated", "appeal_under_review"),
            ("charge.dispute.funds_reinstated", "under_review"),
        ]
    ),
    st.sampled_from(  # settled
        [
            ("charge.dispute.closed", "won"),
            ("charge.dispute.closed", "lost"),
            ("charge.dispute.closed", "warning_closed"),
            ("charge.dispute.funds_reinstated", "won"),
        ]
    ),
)


# --- the independent sums ---------------------------------------------------------------------------


@dataclass
class ReturnFigures:
    order_id: int
    status: str
    settled: int | None
    requested_amount: int | None
    terms: dict
    lines: int = 0  # paid for its items that came back
    refunds: int = 0
    credit: int = 0  # store credit issued, without the bonus
    exchange: int = 0

    @property
    def given(self) -> int:
        return self.refunds + self.credit + self.exchange


@dataclass
class OrderFigures:
    paid: int
    withdrawn: int = 0
    given: int = 0
    live_lines: int = 0  # paid for the items that came back, in returns neither cancelled nor rejected

    @property
    def exposed(self) -> int:
        """Given back by the desk plus what the bank took."""
        return self.given + self.withdrawn


@dataclass
class Audit:
    returns: dict[int, ReturnFigures]
    orders: dict[int, OrderFigures]
    refunds: list[dict]
    credits: list[dict]
    disputes: list[dict]
    world: tuple = field(repr=False)

    def remaining(self, return_id: int) -> int:
        """What the rule in the issue lets this return still give back."""
        r = self.returns[return_id]
        o = self.orders[r.order_id]
        return max(0, min(o.paid - o.withdrawn - o.given, o.live_lines - o.given, r.lines - r.given))


def audit(order_ids: list[int]) -> Audit:
    """Every money row of these orders, summed in Python from plain values."""
    orders = {
        pk: OrderFigures(paid=paid)
        for pk, paid in Order.objects.filter(pk__in=order_ids).values_list("pk", "amount_paid")
    }
    rows = list(
        ReturnRequest.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values(
            "pk",
            "order_id",
            "status",
            "refund_amount",
            "exchange_value",
            "requested_outcome",
            "requested_amount",
            "requested_from",
            "returnless",
            "priority",
            "terms",
        )
    )
    returns = {
        row["pk"]: ReturnFigures(
            order_id=row["order_id"],
            status=row["status"],
            settled=row["refund_amount"],
            requested_amount=row["requested_amount"],
            terms=row["terms"],
            exchange=row["exchange_value"] or 0,
        )
        for row in rows
    }
    items = list(
        ReturnItem.objects.filter(return_request__order_id__in=order_ids)
        .order_by("pk")
        .values_list("return_request_id", "outcome", "quantity", "order_line__unit_price")
    )
    for return_id, outcome, quantity, unit_price in items:
        if outcome not in NOT_RETURNED:
            returns[return_id].lines += unit_price * quantity
    refunds = list(
        Refund.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values("pk", "return_request_id", "order_id", "status", "amount", "provider_refund_id", "requested_by_id")
    )
    for refund in refunds:
        assert refund["order_id"] == returns[refund["return_request_id"]].order_id
        if refund["status"] in ACTIVE:
            returns[refund["return_request_id"]].refunds += refund["amount"]
    credits = list(
        StoreCredit.objects.filter(return_request__order_id__in=order_ids)
        .order_by("pk")
        .values("pk", "return_request_id", "kind", "code", "amount", "bonus", "created_by_id")
    )
    for credit in credits:
        if credit["kind"] == "issue":
            returns[credit["return_request_id"]].credit += credit["amount"] - credit["bonus"]
    disputes = list(
        Dispute.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values("pk", "order_id", "return_request_id", "stripe_dispute_id", "status", "amount", "funds_withdrawn")
    )
    for dispute in disputes:
        orders[dispute["order_id"]].withdrawn += dispute["funds_withdrawn"]
    for r in returns.values():
        orders[r.order_id].given += r.given
        if r.status not in DEAD:
            orders[r.order_id].live_lines += r.lines
    events = tuple(
        ReturnEvent.objects.filter(return_request__order_id__in=order_ids).order_by("pk").values_list("pk", flat=True)
    )
    stock = tuple(Product.objects.order_by("pk").values_list("pk", "stock"))
    replacement_orders = Order.objects.filter(exchange_for__order_id__in=order_ids).count()
    world = (
        tuple(tuple(sorted(row.items(), key=lambda kv: kv[0])) for row in rows),
        tuple(tuple(r.items()) for r in refunds),
        tuple(tuple(c.items()) for c in credits),
        tuple(tuple(d.items()) for d in disputes),
        events,
        stock,
        replacement_orders,
    )
    return Audit(returns=returns, orders=orders, refunds=refunds, credits=credits, disputes=disputes, world=world)


# --- the machine --------------------------------------------------------------------------------------


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self, staff: dict):
        super().__init__()
        self.staff = staff
        self.names = {user.pk: name for name, user in staff.items()}
        self.ana_limit: int | None = None
        self.order_ids: list[int] = []
        self.return_ids: list[int] = []
        self.other_sku: str | None = None
        self.serial = itertools.count(1)
        self.dispute_amounts: dict[str, int] = {}
        self.stripe_time = 0
        self.policy_edits = 0
        self.dispute_events = 0
        self.stripe_events: list[int] = []
        self.asked: tuple | None = None  # (return id, amount, counted against a limit, who) of the step running
        # As the last check saw them; preconditions and picks read these rather than the tables.
        self.statuses: dict[int, str] = {}
        self.refund_statuses: dict[int, str] = {}
        # Each example in its own savepoint, rolled back at teardown: it starts from clean tables.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- set-up ---

    @initialize(
        orders=st.lists(ORDER_SPEC, min_size=1, max_size=2),
        ana_limit=st.sampled_from([None, 0, 2_500, 20_000, 100_000]),
        other_price=st.sampled_from([None, 500, 25_000]),
    )
    def build(self, orders, ana_limit, other_price):
        self.ana_limit = ana_limit
        if ana_limit is not None:
            StaffProfile.objects.update_or_create(user=self.staff["ana"], defaults={"refund_limit": ana_limit})
        if other_price is not None:  # another size, at another price, to exchange for
            self.other_sku = ProductFactory(price=other_price, stock=5).sku
        reason = ReasonCode.objects.get(code="damaged")
        for specs, discount, shipping in orders:
            lines = sum(price * quantity + extra for price, quantity, _, extra in specs)
            paid = max(1, lines - lines * discount // 100) + shipping
            order = OrderFactory(amount_paid=paid, shipping_paid=shipping)
            self.order_ids.append(order.pk)
            for price, quantity, state, extra in specs:
                rr = return_in_state(state, unit_price=price, quantity=quantity, order=order)
                self.return_ids.append(rr.pk)
                if extra:
                    line = OrderLineFactory(order=order, unit_price=extra)
                    turned_away = "rejected" if state == "inspected" else ""
                    ReturnItemFactory(return_request=rr, order_line=line, reason=reason, outcome=turned_away)
                    if state != "inspected":
                        ReturnRequest.objects.filter(pk=rr.pk).update(quoted_amount=price * quantity + extra)

    # --- helpers ---

    def _return(self, r: int, *states: str) -> ReturnRequest:
        """Mostly (r < TARGETED) one of the returns in `states`, where the step can work; else any return."""
        ids = self.return_ids
        if r < TARGETED:
            ids = [pk for pk in ids if self.statuses.get(pk) in states] or ids
        return ReturnRequest.objects.select_related("order").get(pk=ids[r % len(ids)])

    def _any(self, *states: str) -> bool:
        """Is some return in one of `states` (as the last check saw them)?"""
        return any(status in states for status in self.statuses.values())

    def _by(self, who: str) -> Actor:
        return Actor.staff(self.staff[who])

    def _limit(self, user_id: int | None, terms: dict) -> int | None:
        """The limit a staff user works under for a return (None: a manager, or not a person)."""
        name = self.names.get(user_id)
        if name not in AGENTS:
            return None
        if name == "ana" and self.ana_limit is not None:
            return self.ana_limit
        return int(terms["agent_refund_limit"])

    def _amount(self, pick, rr: ReturnRequest, now: Audit):
        if pick is None or isinstance(pick, int):
            return pick
        remaining = now.remaining(rr.pk)
        return {
            "remaining": remaining,
            "remaining+1": remaining + 1,
            "settled": rr.refund_amount or 0,
            "lines": now.returns[rr.pk].lines,
            "paid": rr.order.amount_paid,
            "half": max(1, remaining // 2),
        }[pick]

    def _reference(self) -> str:
        return f"BANK-{next(self.serial)}"

    def _act(self, label: str, do, *, bank: bool = False) -> None:
        """Run one step: refused, nothing changed; done, no desk step may push an order over what was paid,
        and the figures of every money decision on the timeline are the sums before the step."""
        before = audit(self.order_ids)
        last_event = max(before.world[4], default=0)
        self.asked = None
        try:
            do(before)
        except ServiceError as refused:
            why = f": {str(refused)[:80]}" if os.environ.get("MONEY_STATEFUL_STATS") == "why" else ""
            OUTCOMES[f"{label}: refused ({type(refused).__name__}){why}"] += 1
            after = audit(self.order_ids)
            assert after.world == before.world, f"refused ({refused}) yet something changed"
            self._check_refusal(refused, before)
            return
        OUTCOMES[f"{label}: done"] += 1
        after = audit(self.order_ids)
        if not bank:
            for pk, order in after.orders.items():
                was = before.orders[pk]
                assert order.exposed <= max(order.paid, was.exposed), (
                    f"order {pk}: a desk step took given back + withdrawn from {was.exposed} to {order.exposed} "
                    f"(paid {order.paid})"
                )
        new_events = ReturnEvent.objects.filter(
            return_request_id__in=self.return_ids, kind="transition", pk__gt=last_event
        ).order_by("pk")
        for event in new_events:
            self._check_decision(event, before, after)

    def _ask(self, rr: ReturnRequest, amount: int, who: str, counted: int | None = None) -> None:
        """Note what a step asks for (worked out here, as the desk would), to judge a refusal by it."""
        amount = amount or 0
        self.asked = (rr.pk, amount, amount if counted is None else counted, who)

    def _check_refusal(self, refused: ServiceError, before: Audit) -> None:
        """The rule refuses only what is beyond the room left; a limit stops only a VA, above their limit."""
        if self.asked is None:
            return
        return_id, amount, counted, who = self.asked
        if isinstance(refused, MoneyRuleRefused):
            room = before.remaining(return_id)
            assert amount > room, f"refused {amount} on return {return_id} with {room} left: {refused}"
        if isinstance(refused, AboveLimit):
            limit = self._limit(self.staff[who].pk, before.returns[return_id].terms)
            assert limit is not None and counted > limit, f"{who} stopped at {counted} (limit {limit}): {refused}"

    def _check_decision(self, event: ReturnEvent, before: Audit, after: Audit) -> None:
        money = ((event.data or {}).get("result") or {}).get("money")
        if not money:
            return
        r = event.return_request_id
        was, now = before.returns[r], after.returns[r]
        limit = self._limit(event.actor_user_id, was.terms)
        where = f"{event.transition} event {event.pk} on return {r}: {money}"
        if event.transition == "request_refund_approval":
            assert money["requested"] == now.requested_amount, where
            assert money["settled"] == now.settled, where
            assert money["limit"] == limit, where
            return
        if event.transition == "deny_refund":
            assert money["denied"] == was.requested_amount, where
            assert money["settled"] == now.settled == was.settled, where
            return
        order = before.orders[was.order_id]
        assert money["paid"] == order.paid, where
        assert money["withdrawn"] == order.withdrawn, where
        assert money["given_before"] == was.given, where
        assert money["order_given_before"] == order.given, where
        assert money["remaining_before"] == before.remaining(r), where
        assert money["limit"] == limit, where
        assert money["amount"] <= before.remaining(r), where
        outcome = money["outcome"]
        if outcome in ("refund", "returnless"):
            refund = next(x for x in after.refunds if x["pk"] == money["refund_id"])
            assert money["amount"] == money["counted"] == refund["amount"], where
            assert now.refunds - was.refunds == refund["amount"], where
        elif outcome == "store_credit":
            credit = next(x for x in after.credits if x["code"] == money["store_credit_code"])
            assert money["amount"] == credit["amount"] - credit["bonus"], where
            assert money["bonus"] == credit["bonus"], where
            assert money["counted"] == money["credit_total"] == credit["amount"], where
            assert now.credit - was.credit == money["amount"], where
        elif outcome == "exchange":
            assert money["amount"] == now.exchange and was.exchange == 0, where
            assert money["counted"] == max(0, now.exchange - (now.settled or 0)), where
        else:
            raise AssertionError(f"unknown outcome in {where}")

    # --- the desk ---

    @precondition(lambda self: self._any("inspected"))
    @rule(r=PICK, who=WHO, pick=AMOUNT, reason=REASON)
    def issue_refund(self, r, who, pick, reason):
        rr = self._return(r, "inspected")

        def do(now):
            amount = self._amount(pick, rr, now)
            self._ask(rr, rr.refund_amount if amount is None else amount, who)
            payments.return_issue_refund(
                return_request=rr,
                by=self._by(who),
                amount=amount,
                override_reason="agreed with the customer" if reason else "",
                reference=self._reference(),
            )

        self._act("issue_refund", do)

    @precondition(lambda self: self._any("refund_failed"))
    @rule(r=PICK, who=WHO, pick=AMOUNT, reason=REASON)
    def retry_refund(self, r, who, pick, reason):
        rr = self._return(r, "refund_failed")

        def do(now):
            amount = self._amount(pick, rr, now)
            tried = [x["amount"] for x in now.refunds if x["return_request_id"] == rr.pk]
            default = tried[-1] if tried else rr.refund_amount  # the last attempt's amount, else the settlement
            self._ask(rr, default if amount is None else amount, who)
            payments.return_retry_refund(
                return_request=rr,
                by=self._by(who),
                amount=amount,
                reason="new bank details" if reason else "",
                reference=self._reference(),
            )

        self._act("retry_refund", do)

    @precondition(lambda self: self._any("approved"))
    @rule(r=PICK, who=WHO)
    def refund_without_return(self, r, who):
        rr = self._return(r, "approved")
        self._act(
            "refund_without_return",
            lambda now: payments.return_refund_without_return(
                return_request=rr, by=self._by(who), reference=self._reference()
            ),
        )

    @precondition(lambda self: self._any("inspected", "refund_failed"))
    @rule(r=PICK, who=WHO, pick=AMOUNT, reason=REASON)
    def issue_store_credit(self, r, who, pick, reason):
        rr = self._return(r, "inspected", "refund_failed")

        def do(now):
            amount = self._amount(pick, rr, now)
            base = (rr.refund_amount or 0) if amount is None else amount
            percent = now.returns[rr.pk].terms["terms"]["store_credit_bonus_percent"]
            self._ask(rr, base, who, counted=base + percent_of(base, percent))
            payments.return_issue_store_credit(
                return_request=rr,
                by=self._by(who),
                amount=amount,
                reason="goodwill" if reason else "",
            )

        self._act("issue_store_credit", do)

    @precondition(lambda self: self._any("inspected"))
    @rule(r=PICK, who=WHO, other=st.booleans())
    def ship_exchange(self, r, who, other):
        rr = self._return(r, "inspected")

        def do(now):
            chosen = None
            accepted = list(rr.items.filter(outcome="accepted").select_related("order_line"))
            value = sum(item.order_line.unit_price * item.quantity for item in accepted)
            if other and self.other_sku:
                chosen = {item.pk: self.other_sku for item in accepted}
                price = Product.objects.get(sku=self.other_sku).price
                value = sum(price * item.quantity for item in accepted)
            self._ask(rr, value, who, counted=max(0, value - (rr.refund_amount or 0)))
            payments.return_ship_exchange(
                return_request=rr, by=self._by(who), carrier="DPD", tracking_number="T1", replacement_skus=chosen
            )

        self._act("ship_exchange", do)

    @precondition(lambda self: self._any("inspected", "refund_failed", "approved"))
    @rule(
        r=PICK,
        who=WHO,
        outcome=st.sampled_from(["refund", "store_credit", "exchange", "returnless"]),
        pick=AMOUNT,
        reason=REASON,
    )
    def request_approval(self, r, who, outcome, pick, reason):
        rr = self._return(r, "inspected", "refund_failed", "approved")

        def do(now):
            payments.return_request_refund_approval(
                return_request=rr,
                by=self._by(who),
                outcome=outcome,
                amount=self._amount(pick, rr, now),
                override_reason="the customer asked" if reason else "",
                details={"carrier": "DPD", "tracking_number": "T2"} if outcome == "exchange" else None,
            )

        self._act("request_approval", do)

    @precondition(lambda self: self._any("awaiting_approval"))
    @rule(r=PICK, who=DECIDER)
    def approve(self, r, who):
        rr = self._return(r, "awaiting_approval")

        def do(now):
            self._ask(rr, rr.requested_amount, who)
            payments.return_approve_refund(return_request=rr, by=self._by(who), reference=self._reference())

        self._act("approve", do)

    @precondition(lambda self: self._any("awaiting_approval"))
    @rule(r=PICK, who=DECIDER)
    def deny(self, r, who):
        rr = self._return(r, "awaiting_approval")
        self._act("deny", lambda now: payments.return_deny_refund(return_request=rr, by=self._by(who), reason="no"))

    @precondition(lambda self: self._any("resolved"))
    @rule(r=PICK, who=WHO)
    def close(self, r, who):
        rr = self._return(r, "resolved")
        self._act("close", lambda now: services.return_close(return_request=rr, by=self._by(who)))

    @precondition(lambda self: self.policy_edits < 2)
    @rule(bonus=st.sampled_from([0, 25]), limit=st.sampled_from([5_000, 100_000]))
    def policy_edited(self, bonus, limit):
        """An admin edits the policy: the returns keep the terms they were quoted (bonus, VA limit)."""
        self.policy_edits += 1
        ReturnPolicy.objects.filter(is_active=True).update(store_credit_bonus_percent=bonus, agent_refund_limit=limit)
        OUTCOMES["policy_edited: done"] += 1

    # --- the provider ---

    def _deliver(self, payload: dict) -> None:
        """A webhook event as the view stores it, then processed as the task does."""
        stored = StripeEvent.objects.create(stripe_event_id=payload["id"], type=payload["type"], payload=payload)
        self.stripe_events.append(stored.pk)
        process_stored_event(stored.pk)
        assert StripeEvent.objects.get(pk=stored.pk).status == "processed"

    def _refund_outcome(self, refund: dict, status: str, via: str, failure: str) -> None:
        if via == "webhook":
            n = next(self.serial)
            obj = {
                "id": refund["provider_refund_id"],
                "object": "refund",
                "amount": refund["amount"],
                "currency": "usd",
                "status": status,
                "failure_reason": failure or None,
                "metadata": {"idempotency_key": ""},
            }
            payload = {"id": f"evt_r{n}", "type": "refund.updated", "created": n, "data": {"object": obj}}
            self._deliver(payload)
        elif via in AGENTS + ("morgan",) and status in ("succeeded", "failed"):
            row = Refund.objects.get(pk=refund["pk"])
            if status == "succeeded":
                payments.refund_confirm_manual(refund=row, by=self._by(via), reference=refund["provider_refund_id"])
            else:
                payments.refund_mark_failed_manual(refund=row, by=self._by(via), reason=failure or "bounced")
        else:
            by = Actor.system() if via == "system" else Actor.stripe()
            payments.refund_record_outcome(refund_id=refund["pk"], status=status, by=by, failure_reason=failure)

    @precondition(lambda self: bool(self.refund_statuses))
    @rule(
        k=PICK,
        status=st.sampled_from(["succeeded", "succeeded", "failed", "canceled", "requires_action", "pending"]),
        via=st.sampled_from(["stripe", "stripe", "system", "webhook", "ana", "morgan"]),
        failure=st.sampled_from(["", "declined", "expired_or_canceled_card", "The bank bounced it"]),
    )
    def provider_answers(self, k, status, via, failure):
        refunds = audit(self.order_ids).refunds
        waiting = [x for x in refunds if x["status"] in ("pending", "requires_action")]
        if waiting and k < TARGETED:
            refunds = waiting
        if refunds:
            refund = refunds[k % len(refunds)]
            self._act("provider_answers", lambda now: self._refund_outcome(refund, status, via, failure))

    @precondition(lambda self: "succeeded" in self.refund_statuses.values())
    @rule(
        k=PICK,
        via=st.sampled_from(["stripe", "webhook", "morgan"]),
        failure=st.sampled_from(["", "declined", "lost_or_stolen_card"]),
    )
    def late_failure(self, k, via, failure):
        succeeded = [x for x in audit(self.order_ids).refunds if x["status"] == "succeeded"]
        if succeeded:
            refund = succeeded[k % len(succeeded)]
            self._act("late_failure", lambda now: self._refund_outcome(refund, "failed", via, failure))

    # --- the bank ---

    # Only so many per example, else chargebacks block most steps; more once the desk has nothing left to do.
    @precondition(lambda self: self.dispute_events < DISPUTE_EVENTS or not self._any(*DESK_WORK))
    @rule(
        o=PICK,
        slot=st.sampled_from([0, 0, 0, 1]),
        news=DISPUTE_NEWS,
        share=st.sampled_from([100, 100, 50, 10, 1]),
        stale=st.sampled_from([False, False, False, True]),
        webhook=st.booleans(),
    )
    def dispute_news(self, o, slot, news, share, stale, webhook):
        order = Order.objects.get(pk=self.order_ids[o % len(self.order_ids)])
        dispute_id = f"dp_{order.pk}_{slot}"
        amount = self.dispute_amounts.setdefault(dispute_id, max(1, order.amount_paid * share // 100))
        event_type, status = news
        self.dispute_events += 1
        self.stripe_time += 60
        created = T0 + dt.timedelta(seconds=self.stripe_time - (3_600 if stale else 0))
        obj = {
            "id": dispute_id,
            "object": "dispute",
            "amount": amount,
            "charge": f"ch_{order.pk}",
            "currency": "usd",
            "payment_intent": order.payment_reference,
            "reason": "fraudulent",
            "status": status,
            "evidence_details": {"due_by": int(created.timestamp()) + 9 * 86_400},
        }

        def do(now):
            if webhook:
                n = next(self.serial)
                payload = {
                    "id": f"evt_d{n}",
                    "type": event_type,
                    "created": int(created.timestamp()),
                    "data": {"object": obj},
                }
                self._deliver(payload)
            else:
                payments.dispute_apply_stripe(obj=obj, event_created=created, event_type=event_type)

        self._act("dispute_news", do, bank=True)

    @precondition(lambda self: bool(self.stripe_events))
    @rule(k=PICK, latest=st.booleans())
    def webhook_processed_again(self, k, latest):
        """An admin has a stored event processed again: no money moves and no return changes state."""
        event_id = self.stripe_events[-1 if latest else k % len(self.stripe_events)]
        before = audit(self.order_ids)
        last_event = max(before.world[4], default=0)
        StripeEvent.objects.filter(pk=event_id).update(status=StripeEvent.Status.RECEIVED, error="")
        process_stored_event(event_id)
        after = audit(self.order_ids)
        OUTCOMES["webhook_processed_again: done"] += 1
        money = lambda a: (  # noqa: E731
            {pk: (r.status, r.refunds, r.credit, r.exchange) for pk, r in a.returns.items()},
            {pk: (o.given, o.withdrawn) for pk, o in a.orders.items()},
            [(d["pk"], d["status"], d["amount"], d["funds_withdrawn"]) for d in a.disputes],
            [(x["pk"], x["amount"], x["status"] in ACTIVE) for x in a.refunds],
            a.credits,
        )
        assert money(after) == money(before), f"processing event {event_id} again moved money or state"
        # It may repeat news on the timeline (a dispute event applied again; an older refund answer given
        # again, pending <-> requires action), never a transition.
        repeated = ReturnEvent.objects.filter(return_request_id__in=self.return_ids, pk__gt=last_event)
        assert not repeated.exclude(kind__in=("dispute", "refund")).exists(), list(repeated.values())

    # --- what must always hold ---

    @invariant()
    def the_money_rule_holds(self):
        now = audit(self.order_ids)  # one read of the tables for the four checks
        self.statuses = {pk: r.status for pk, r in now.returns.items()}
        self.refund_statuses = {x["pk"]: x["status"] for x in now.refunds}
        self.nothing_given_beyond_what_was_paid(now)
        self.store_credit_bonus_within_the_quoted_percent(now)
        self.timeline_matches_the_rows(now)
        self.no_va_above_their_limit(now)
        self.state_agrees_with_the_refunds(now)

    def nothing_given_beyond_what_was_paid(self, now: Audit) -> None:
        for pk, r in now.returns.items():
            assert r.given <= r.lines, f"return {pk} gave back {r.given} for lines worth {r.lines}: {r}"
        for pk, o in now.orders.items():
            assert o.given <= o.paid, f"order {pk} gave back {o.given} of {o.paid} paid"
            assert o.given <= o.live_lines, f"order {pk} gave back {o.given} for live lines worth {o.live_lines}"

    def state_agrees_with_the_refunds(self, now: Audit) -> None:
        """A return waits on the provider exactly when one of its refunds does (never two at once)."""
        waiting = Counter(x["return_request_id"] for x in now.refunds if x["status"] in ("pending", "requires_action"))
        for pk, r in now.returns.items():
            assert waiting[pk] == (1 if r.status == "refund_pending" else 0), (pk, r.status, now.refunds)

    def store_credit_bonus_within_the_quoted_percent(self, now: Audit) -> None:
        for credit in now.credits:
            assert credit["kind"] == "issue"
            base = credit["amount"] - credit["bonus"]
            percent = now.returns[credit["return_request_id"]].terms["terms"]["store_credit_bonus_percent"]
            assert base > 0, credit
            assert 0 <= credit["bonus"] <= percent_of(base, percent), credit

    def timeline_matches_the_rows(self, now: Audit) -> None:
        events = list(
            ReturnEvent.objects.filter(return_request_id__in=self.return_ids)
            .order_by("pk")
            .values("pk", "return_request_id", "kind", "transition", "actor_user_id", "data")
        )
        refund_claims, credit_claims, exchange_claims = defaultdict(list), defaultdict(list), defaultdict(list)
        for event in events:
            result = (event["data"] or {}).get("result") or {}
            if "refund_id" in result:
                refund_claims[result["refund_id"]].append(event)
            if "store_credit_code" in result:
                credit_claims[result["store_credit_code"]].append(event)
            if "exchange_value" in result:
                exchange_claims[event["return_request_id"]].append(event)
        refunds = {x["pk"]: x for x in now.refunds}
        credits = {x["code"]: x for x in now.credits}

        assert set(refund_claims) == set(refunds), f"refund events {set(refund_claims)} vs rows {set(refunds)}"
        for pk, claims in refund_claims.items():
            refund = refunds[pk]
            assert len(claims) == 1, f"refund {pk} is on the timeline {len(claims)} times"
            (event,) = claims
            result = event["data"]["result"]
            assert event["return_request_id"] == refund["return_request_id"], (event, refund)
            assert result["amount"] == refund["amount"], (event, refund)
            assert event["actor_user_id"] == refund["requested_by_id"], (event, refund)

        assert set(credit_claims) == set(credits), f"credit events {set(credit_claims)} vs rows {set(credits)}"
        for code, claims in credit_claims.items():
            credit = credits[code]
            assert len(claims) == 1, f"store credit {code} is on the timeline {len(claims)} times"
            (event,) = claims
            result = event["data"]["result"]
            assert event["return_request_id"] == credit["return_request_id"], (event, credit)
            assert event["actor_user_id"] == credit["created_by_id"], (event, credit)
            # The credit's figures: at the top of the result (issued by the desk), and in the decision always.
            assert result.get("amount", credit["amount"]) == credit["amount"], (event, credit)
            assert result.get("bonus", credit["bonus"]) == credit["bonus"], (event, credit)
            assert result["money"]["credit_total"] == credit["amount"], (event, credit)
            assert result["money"]["bonus"] == credit["bonus"], (event, credit)

        with_exchange = {pk for pk, r in now.returns.items() if r.exchange}
        assert set(exchange_claims) == with_exchange, f"exchange events {set(exchange_claims)} vs {with_exchange}"
        for pk, claims in exchange_claims.items():
            assert len(claims) == 1, f"return {pk} shipped an exchange {len(claims)} times on its timeline"
            assert claims[0]["data"]["result"]["exchange_value"] == now.returns[pk].exchange, claims[0]

        # The provider's news points at the refund it is about, on that refund's return.
        for event in events:
            if event["kind"] != "transition" or event["transition"] not in ("refund_succeeded", "refund_failed"):
                continue
            refund = refunds[event["data"]["refund_id"]]
            assert refund["return_request_id"] == event["return_request_id"], (event, refund)
            if event["transition"] == "refund_succeeded" or event["data"].get("late_failure"):
                assert refund["status"] in ("succeeded", "failed"), (event, refund)
            else:
                assert refund["status"] in ("failed", "canceled"), (event, refund)

        # The last dispute news on the timeline says what the bank holds now.
        last_news = {}
        for event in events:
            if event["kind"] == "dispute" and "funds_withdrawn" in event["data"]:
                last_news[event["data"]["dispute_id"]] = event
        for dispute in now.disputes:
            if dispute["return_request_id"] is None:
                continue
            news = last_news.get(dispute["pk"])
            assert news is not None, f"dispute {dispute} has no news on the timeline"
            assert news["return_request_id"] == dispute["return_request_id"], (news, dispute)
            assert news["data"]["funds_withdrawn"] == dispute["funds_withdrawn"], (news, dispute)

    def no_va_above_their_limit(self, now: Audit) -> None:
        for refund in now.refunds:
            limit = self._limit(refund["requested_by_id"], now.returns[refund["return_request_id"]].terms)
            if limit is not None:
                assert refund["amount"] <= limit, f"a VA refunded {refund} above their limit of {limit}"
        for credit in now.credits:
            limit = self._limit(credit["created_by_id"], now.returns[credit["return_request_id"]].terms)
            if limit is not None:
                assert credit["amount"] <= limit, f"a VA issued {credit} above their limit of {limit}"
        shipped = ReturnEvent.objects.filter(
            return_request_id__in=self.return_ids, kind="transition", data__result__has_key="exchange_value"
        ).values_list("return_request_id", "actor_user_id")
        for return_id, user_id in shipped:
            r = now.returns[return_id]
            limit = self._limit(user_id, r.terms)
            if limit is not None:
                beyond = max(0, r.exchange - (r.settled or 0))
                assert beyond <= limit, f"a VA shipped an exchange worth {r.exchange} on return {return_id} ({r})"


@pytest.fixture
def staff(reference_data):
    return {
        "ana": UserFactory(username="ana", first_name="Ana", groups=["Agents"]),
        "ben": UserFactory(username="ben", first_name="Ben", groups=["Agents"]),
        "morgan": UserFactory(username="morgan", first_name="Morgan", groups=["Managers"]),
    }


def test_the_money_rule_holds_under_random_desk_provider_and_bank_steps(staff):
    run_state_machine_as_test(
        lambda: MoneyMachine(staff),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=not os.environ.get("MONEY_STATEFUL_RANDOM"),  # CI: the same examples every run
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        ),
    )
    if os.environ.get("MONEY_STATEFUL_STATS"):
        for outcome, count in sorted(OUTCOMES.items()):
            print(f"{count:6d}  {outcome}")
