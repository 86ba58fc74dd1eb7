"""The bulk path's rows that move no money: each return as it stands at the end of its planned path, its items,
and its timeline, one entry per step as the person who took it; written in bulk with the chunk they belong to."""

import datetime as dt
import random
from dataclasses import dataclass, field

from returns_desk.demo.shop.plans import PlannedReturn
from returns_desk.demo.shop.timing import due_at_end, transition_table
from returns_desk.demo.shop.words import describe
from returns_desk.orders.models import Order, OrderLine
from returns_desk.payments.models import Refund, StoreCredit
from returns_desk.policies.models import ReturnPolicy
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services, sla
from returns_desk.returns.models import ReturnEvent, ReturnItem, ReturnRequest, ReturnStatus, new_customer_token
from returns_desk.returns.transition_words import TRANSITION_WORDS

S = ReturnStatus

# Who takes each transition: the customer, the system, or (all the others) staff.
CUSTOMER_ACTIONS = frozenset({"mark_in_transit", "cancel", "info_received"})
SYSTEM_ACTIONS = frozenset({"expire", "close", "refund_succeeded"})


@dataclass
class Desk:
    """What the writing of every chunk reads: the transitions, the policy, the people, the next key."""

    table: dict[tuple[str, str], str]  # (state, transition) -> state reached
    policy: ReturnPolicy
    bonus_percent: float  # the policy's store credit bonus
    targets: sla.Targets
    agents: list
    asker: object  # a newer VA with a small limit, who asks for refunds to be approved ...
    approver: object  # ... and the manager who approves them
    next_id: int  # the primary key of the next return written
    terms_for: dict[frozenset[str], dict] = field(default_factory=dict)  # the frozen terms, per set of reasons

    @classmethod
    def of(cls, staff: dict[str, object]) -> "Desk":
        policy = active_policy()
        return cls(
            table=transition_table(),
            policy=policy,
            bonus_percent=float(policy.store_credit_bonus_percent),
            targets=sla.Targets.from_policy(policy),
            agents=[staff["agent"], staff["ana"]],
            asker=staff["ben"],
            approver=staff["manager"],
            next_id=(ReturnRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1,
        )

    def terms(self, plan: PlannedReturn) -> dict:
        codes = frozenset(reason.code for _, _, reason in plan.picks)
        if codes not in self.terms_for:
            reasons = [reason for _, _, reason in plan.picks]
            self.terms_for[codes] = QuotedTerms.from_policy(self.policy, reasons).as_json()
        return self.terms_for[codes]

    def sla_due(self, plan: PlannedReturn) -> dt.datetime | None:
        """A bulk row's SLA clock as the services would have left it after its steps (needs_info: paused)."""
        return due_at_end(plan.path, plan.times, self.targets)


@dataclass
class Rows:
    """One chunk's rows, made in memory and written together."""

    returns: list[ReturnRequest] = field(default_factory=list)
    items: list[ReturnItem] = field(default_factory=list)
    events: list[ReturnEvent] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    credits: list[StoreCredit] = field(default_factory=list)
    exchanges: list[tuple[ReturnRequest, Order, list[tuple[OrderLine, int]]]] = field(default_factory=list)


def open_return(rng: random.Random, plan: PlannedReturn, desk: Desk, rows: Rows) -> ReturnRequest:
    """The return as it stands at the end of its path, its items, and the customer's request that opened it."""
    pk = desk.next_id
    desk.next_id += 1
    status = S.REQUESTED
    for action in plan.path:
        status = desk.table[(status, action)]
    rr = _return_row(rng, plan, desk, pk=pk, status=status)
    rows.returns.append(rr)
    rows.items += _item_rows(rng, plan, pk)
    rows.events.append(
        ReturnEvent(
            return_request_id=pk,
            kind="transition",
            actor_kind="customer",
            to_state=S.REQUESTED,
            visible_to_customer=True,
            created_at=plan.times[0],
        )
    )
    return rr


def _return_row(rng: random.Random, plan: PlannedReturn, desk: Desk, *, pk: int, status: str) -> ReturnRequest:
    subtotal = sum(line.unit_price * qty for line, qty, _ in plan.picks)
    last = plan.times[-1]
    return ReturnRequest(
        pk=pk,
        rma_number=services.rma_for(pk),
        order=plan.order,
        email=plan.order.email,
        customer_name=plan.order.customer_name,
        status=status,
        resolution=plan.resolution,
        currency=plan.order.currency,
        quoted_amount=subtotal,
        # The settlement (no store credit bonus: that is added, and accounted apart, when credit is issued).
        refund_amount=subtotal if "inspect" in plan.path else None,
        terms=desk.terms(plan),
        customer_token=new_customer_token(),
        created_at=plan.times[0],
        updated_at=last,
        status_changed_at=last,
        sla_due_at=desk.sla_due(plan),
        assignee=rng.choice(desk.agents) if status not in (S.REQUESTED,) else None,
    )


def _item_rows(rng: random.Random, plan: PlannedReturn, pk: int) -> list[ReturnItem]:
    accepted = "inspect" in plan.path
    return [
        ReturnItem(
            return_request_id=pk,
            order_line=line,
            quantity=qty,
            reason=reason,
            condition_description=describe(rng, line, reason),
            outcome="accepted" if accepted else "",
            grade="like_new" if accepted else "",
            disposition="restock" if accepted else "",
            refundable_amount=line.unit_price * qty if accepted else 0,
        )
        for line, qty, reason in plan.picks
    ]


def record_transition(
    rng: random.Random, desk: Desk, rows: Rows, rr: ReturnRequest, *, action: str, state: str, moment: dt.datetime
):
    """The timeline's entry for one step, as the person who took it; that person is returned (None: not staff)."""
    actor_kind = "customer" if action in CUSTOMER_ACTIONS else "system" if action in SYSTEM_ACTIONS else "staff"
    if action == "request_refund_approval":
        actor = desk.asker
    elif action == "approve_refund":
        actor = desk.approver
    else:
        actor = rng.choice(desk.agents) if actor_kind == "staff" else None
    rows.events.append(
        ReturnEvent(
            return_request_id=rr.pk,
            kind="transition",
            actor_kind=actor_kind,
            actor_user=actor,
            transition=action,
            from_state=state,
            to_state=desk.table[(state, action)],
            visible_to_customer=not TRANSITION_WORDS[action].internal,
            created_at=moment,
        )
    )
    return actor


def write_returns(rows: Rows) -> None:
    """The chunk's returns with their items and timelines, and the lines of their replacement orders (which
    must have been saved first)."""
    replacement_lines = []
    for rr, replacement, picked in rows.exchanges:
        rr.exchange_order = replacement
        replacement_lines += [
            OrderLine(
                order=replacement,
                product_id=line.product_id,
                sku=line.sku,
                title=line.title,
                category=line.category,
                unit_price=0,
                quantity=qty,
            )
            for line, qty in picked
        ]
    OrderLine.objects.bulk_create(replacement_lines, batch_size=2000)
    ReturnRequest.objects.bulk_create(rows.returns, batch_size=1000)
    ReturnItem.objects.bulk_create(rows.items, batch_size=2000)
    services.record_events(rows.events, batch_size=2000)
