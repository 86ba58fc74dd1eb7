"""Which queues the desk offers: each one's filter, its order, and who sees it."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import BooleanField, F, Func, Q, QuerySet

from returns_desk.payments.models import Dispute
from returns_desk.returns.models import OPEN_STATUSES
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.returns.sla import AT_RISK_WINDOW
from returns_desk.staff import roles

RECENTLY_CLOSED = dt.timedelta(days=7)
STATE_NAME = re.compile(r"[a-z_]+")


def orders_with_open_dispute() -> QuerySet:
    """As an IN subquery: the few disputed orders lead, through the order index, to their returns."""
    return Dispute.objects.exclude(status__in=Dispute.FINAL_STATUSES).values("order_id")


# Returns with a desk deadline first, soonest due; those waiting on others (no deadline) after them.
DUE_FIRST = (F("sla_due_at").asc(nulls_last=True), "created_at")
# A customer waiting for an answer first (longest waiting first), then by the desk's deadline.
ANSWER_FIRST = (F("awaiting_reply_since").asc(nulls_last=True), *DUE_FIRST)


def states_in(states) -> Q:
    """`status IN ('approved', …)` with the states written into the SQL rather than bound: SQLite uses a partial
    index (returns.models.order_indexes) only when it sees that the query's condition is the index's own, which
    it cannot with bound values. The states are the code's own names, checked before they are written."""
    names = sorted(states)
    if not all(STATE_NAME.fullmatch(name) for name in names):
        raise ValueError(f"Not a state name: {names!r}")
    listed = ", ".join(f"'{name}'" for name in names)
    return Q(Func(F("status"), template=f"%(expressions)s IN ({listed})", output_field=BooleanField()))


OPEN_RETURNS = states_in(OPEN_STATUSES)


def _mine(user, now) -> Q:
    """Open returns assigned to the user. (A finished return whose customer wrote again is in "Customer
    replied": an OR here would cost the per-user count, taken on every page, its index.)"""
    return Q(assignee=user) & OPEN_RETURNS


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    condition: Callable[[object, dt.datetime], Q]
    ordering: tuple = ("sla_due_at", "created_at")
    managers_only: bool = False
    per_user: bool = False


QUEUES: dict[str, Queue] = {
    q.key: q
    for q in [
        Queue("mine", "My open", _mine, ANSWER_FIRST, per_user=True),
        Queue(
            "replied",
            "Customer replied",
            lambda user, now: Q(awaiting_reply_since__isnull=False),
            ("awaiting_reply_since", "pk"),
        ),
        Queue("unassigned", "Unassigned", lambda user, now: Q(assignee__isnull=True) & OPEN_RETURNS, DUE_FIRST),
        Queue("new", "New", lambda user, now: Q(status=S.REQUESTED)),
        Queue("waiting", "Waiting on customer", lambda user, now: Q(status=S.NEEDS_INFO), ("-status_changed_at",)),
        Queue(
            "parcel",
            "Awaiting parcel",
            lambda user, now: states_in([S.APPROVED, S.IN_TRANSIT]),
            ("status_changed_at",),
        ),
        Queue("inspect", "To inspect", lambda user, now: Q(status=S.RECEIVED)),
        Queue("resolve", "Ready to resolve", lambda user, now: Q(status=S.INSPECTED)),
        Queue("approvals", "Approvals", lambda user, now: Q(status=S.AWAITING_APPROVAL), managers_only=True),
        Queue("refund_pending", "Refund pending", lambda user, now: Q(status=S.REFUND_PENDING), ("status_changed_at",)),
        Queue("refund_failed", "Refund failed", lambda user, now: Q(status=S.REFUND_FAILED)),
        Queue("disputes", "Disputes", lambda user, now: Q(order_id__in=orders_with_open_dispute()), ("-created_at",)),
        Queue(
            "sla",
            "SLA at risk or breached",
            lambda user, now: Q(sla_due_at__lte=now + AT_RISK_WINDOW) | Q(reply_due_at__lte=now + AT_RISK_WINDOW),
        ),
        Queue(
            "closed",
            "Recently closed",
            lambda user, now: Q(status=S.CLOSED, status_changed_at__gte=now - RECENTLY_CLOSED),
            ("-status_changed_at",),
        ),
        Queue("all", "All", lambda user, now: Q(), ("-created_at",)),
    ]
}
DEFAULT_QUEUE = "mine"


def queues_for(user) -> list[Queue]:
    manager = roles.is_manager(user)
    return [q for q in QUEUES.values() if manager or not q.managers_only]


def queue_for(key: str | None, user) -> Queue:
    visible = {q.key: q for q in queues_for(user)}
    return visible.get(key or DEFAULT_QUEUE, visible[DEFAULT_QUEUE])
