"""What the demo's returns will be, decided before any is written: for each, a target state, the path of
transitions to it, an order with lines still to return, the reasons, and the moment of every step."""

import datetime as dt
import random
from dataclasses import dataclass

from returns_desk.demo.shop.catalogue import ShopPlan
from returns_desk.demo.shop.timing import FINISHED_STATES, finished_moments, open_moments, sla_standings
from returns_desk.demo.shop.words import PROBLEM_SKUS
from returns_desk.orders.models import Order, OrderLine
from returns_desk.policies.models import ReasonCode
from returns_desk.returns import sla
from returns_desk.returns.models import ReturnStatus

S = ReturnStatus

# The transitions that lead to each state (several ways for some). Every state is reachable.
PATHS: dict[str, list[list[str]]] = {
    S.REQUESTED: [[], ["request_info", "info_received"]],
    S.NEEDS_INFO: [["request_info"]],
    S.APPROVED: [["approve"]],
    S.IN_TRANSIT: [["approve", "mark_in_transit"]],
    S.RECEIVED: [["approve", "mark_in_transit", "receive"], ["approve", "receive"]],
    S.INSPECTED: [["approve", "mark_in_transit", "receive", "inspect"]],
    S.AWAITING_APPROVAL: [["approve", "mark_in_transit", "receive", "inspect", "request_refund_approval"]],
    S.REFUND_PENDING: [["approve", "mark_in_transit", "receive", "inspect", "issue_refund"]],
    S.REFUND_FAILED: [["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_failed"]],
    S.RESOLVED: [
        ["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_succeeded"],
        ["approve", "mark_in_transit", "receive", "inspect", "issue_store_credit"],
        ["approve", "mark_in_transit", "receive", "inspect", "ship_exchange"],
        [
            "approve",
            "mark_in_transit",
            "receive",
            "inspect",
            "request_refund_approval",
            "approve_refund",
            "refund_succeeded",
        ],
    ],
    S.REJECTED: [["reject"], ["request_info", "reject"]],
    S.CANCELLED: [["cancel"], ["approve", "expire"]],
    S.CLOSED: [
        ["approve", "mark_in_transit", "receive", "inspect", "issue_refund", "refund_succeeded", "close"],
        ["approve", "mark_in_transit", "receive", "inspect", "issue_store_credit", "close"],
        ["reject", "close"],
        ["cancel", "close"],
    ],
}

# How often each state appears in the demo: most returns are finished, every state is present.
STATE_WEIGHTS = {
    S.REQUESTED: 8,
    S.NEEDS_INFO: 4,
    S.APPROVED: 6,
    S.IN_TRANSIT: 6,
    S.RECEIVED: 4,
    S.INSPECTED: 3,
    S.AWAITING_APPROVAL: 2,
    S.REFUND_PENDING: 2,
    S.REFUND_FAILED: 1,
    S.RESOLVED: 14,
    S.REJECTED: 4,
    S.CANCELLED: 4,
    S.CLOSED: 42,
}
# Open returns were opened in the last few days, on orders delivered lately; finished ones over the past months.
OPEN_STATES = {s for s in STATE_WEIGHTS if s not in FINISHED_STATES}


@dataclass
class PlannedReturn:
    order: Order
    picks: list[tuple[OrderLine, int, ReasonCode]]
    state: str
    path: list[str]
    times: list[dt.datetime]  # creation, then one per transition
    resolution: str
    return_id: int | None = None  # set once written


@dataclass
class _Shelves:
    """What is still returnable: the orders to draw from (used-up orders leave them) and the units left per line."""

    shop: ShopPlan
    non_returnable: set[str]
    remaining: dict[int, int]  # order line pk -> units not yet returned
    recent: list[Order]  # open returns come back on these: delivered well inside the window
    older: list[Order]  # finished returns on these: delivered at least 12 days ago
    troubled: dict[str, list[Order]]  # "recent" and "older" orders that hold a problem SKU

    @classmethod
    def of(cls, shop: ShopPlan, *, now: dt.datetime, window_days: int, non_returnable: set[str]) -> "_Shelves":
        recent = [o for o in shop.orders if (now - o.delivered_at).days < window_days - 6]
        older = [o for o in shop.orders if (now - o.delivered_at).days >= 12] or list(shop.orders)
        return cls(
            shop=shop,
            non_returnable=non_returnable,
            remaining={line.pk: line.quantity for lines in shop.lines.values() for line in lines},
            recent=recent,
            older=older,
            troubled={
                "recent": [o for o in recent if any(line.sku in PROBLEM_SKUS for line in shop.lines[o.pk])],
                "older": [o for o in older if any(line.sku in PROBLEM_SKUS for line in shop.lines[o.pk])],
            },
        )

    def draw(self, rng: random.Random, pool: list[Order]) -> tuple[Order | None, list[OrderLine]]:
        """A random order from `pool` that still has lines to return; used-up orders leave the pool for good."""
        while pool:
            index = rng.randrange(len(pool))
            order = pool[index]
            candidates = [
                line
                for line in self.shop.lines[order.pk]
                if self.remaining[line.pk] > 0 and not line.final_sale and line.category not in self.non_returnable
            ]
            if candidates:
                return order, candidates
            pool[index] = pool[-1]
            pool.pop()
        return None, []


def plan_returns(
    rng: random.Random,
    shop: ShopPlan,
    *,
    count: int,
    now: dt.datetime,
    window_days: int,
    non_returnable: set[str],
    reasons: list[ReasonCode],
    targets: sla.Targets,
) -> list[PlannedReturn]:
    """Choose, for each return, a target state, a path to it, an order, lines, reasons and moments."""
    states = list(STATE_WEIGHTS)
    weights = [STATE_WEIGHTS[s] for s in states]
    shelves = _Shelves.of(shop, now=now, window_days=window_days, non_returnable=non_returnable)
    standings = sla_standings(rng)
    planned = []
    for n in range(count):
        state = states[n] if n < len(states) else rng.choices(states, weights)[0]  # every state at least once
        state, order, candidates = _pick_order(rng, state, shelves)
        if order is None:
            continue  # nothing returnable is left in the shop
        picks = _pick_lines(rng, candidates, shelves.remaining, reasons)
        path = list(rng.choice(PATHS[state]))
        if state in OPEN_STATES:
            times = open_moments(rng, order, path=path, now=now, targets=targets, standings=standings)
        else:
            times = finished_moments(rng, order, path=path, now=now, window_days=window_days)
        planned.append(PlannedReturn(order, picks, state, path, times, _resolution(path)))
    return planned


def _pick_order(rng: random.Random, state: str, shelves: _Shelves) -> tuple[str, Order | None, list[OrderLine]]:
    """An order with lines left to return, for a return headed to `state`; when recent orders are used up, an
    older one, and the return heads to a finished state instead (the state is returned with the order)."""
    early = state in OPEN_STATES
    order, candidates = None, []
    if rng.random() < 0.12:  # orders holding a problem SKU come back more often
        order, candidates = shelves.draw(rng, shelves.troubled["recent" if early else "older"])
    if order is None:
        order, candidates = shelves.draw(rng, shelves.recent if early else shelves.older)
    if order is None and early:
        # Recent orders are used up (large volumes): older orders can still carry a finished return.
        finished = [s for s in STATE_WEIGHTS if s in FINISHED_STATES]
        state = rng.choices(finished, [STATE_WEIGHTS[s] for s in finished])[0]
        order, candidates = shelves.draw(rng, shelves.older)
    return state, order, candidates


def _pick_lines(
    rng: random.Random, candidates: list[OrderLine], remaining: dict[int, int], reasons: list[ReasonCode]
) -> list[tuple[OrderLine, int, ReasonCode]]:
    """One or two of the order's returnable lines, how many units of each, and why."""
    chosen = rng.sample(candidates, min(len(candidates), rng.choice([1, 1, 1, 2])))
    # A known problem SKU in the order is nearly always among what comes back, for its known reason.
    troubled = [line for line in candidates if line.sku in PROBLEM_SKUS and line not in chosen]
    if troubled and rng.random() < 0.9:
        chosen = [troubled[0], *chosen[:1]]
    by_code = {r.code: r for r in reasons}
    picks = []
    for line in chosen:
        quantity = rng.randint(1, remaining[line.pk])
        remaining[line.pk] -= quantity
        reason = rng.choice(reasons)
        if line.sku in PROBLEM_SKUS and rng.random() < 0.8 and PROBLEM_SKUS[line.sku][0] in by_code:
            reason = by_code[PROBLEM_SKUS[line.sku][0]]
        picks.append((line, quantity, reason))
    return picks


def _resolution(path: list[str]) -> str:
    if "issue_store_credit" in path:
        return "store_credit"
    if "ship_exchange" in path:
        return "exchange"
    return "refund"
