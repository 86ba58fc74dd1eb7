"""The desk's predefined queues, their counts, and the rows of one page.

Counts: every queue's count comes from one SQL statement (a scalar subquery per queue), and the shared
ones are cached for a few seconds, so a page view does not scan the table for each queue. Rows: one
query for a page of 50 (plus one row to know whether there is a next page), never a COUNT of the
filtered set.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from returns_desk.core import clock
from returns_desk.core.templatetags.durations import short_duration
from returns_desk.customers.models import CustomerFlag
from returns_desk.payments.models import Dispute
from returns_desk.returns import permissions as can
from returns_desk.returns.models import OPEN_STATUSES, ReturnRequest
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.returns.sla import AT_RISK_WINDOW

PAGE_SIZE = 50
COUNTS_CACHE_SECONDS = 10
RECENTLY_CLOSED = dt.timedelta(days=7)
OPEN = sorted(OPEN_STATUSES)


def open_dispute_on_order() -> Exists:
    return Exists(Dispute.objects.filter(order_id=OuterRef("order_id")).exclude(status__in=Dispute.FINAL_STATUSES))


def orders_with_open_dispute() -> QuerySet:
    """As an IN subquery: the few disputed orders lead, through the order index, to their returns."""
    return Dispute.objects.exclude(status__in=Dispute.FINAL_STATUSES).values("order_id")


def flagged_customer() -> Exists:
    return Exists(CustomerFlag.objects.filter(email=OuterRef("email"), kind__in=CustomerFlag.FLAGGED))


# Returns with a desk deadline first, soonest due; those waiting on others (no deadline) after them.
DUE_FIRST = (F("sla_due_at").asc(nulls_last=True), "created_at")


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
        Queue("mine", "My open", lambda user, now: Q(assignee=user, status__in=OPEN), DUE_FIRST, per_user=True),
        Queue("unassigned", "Unassigned", lambda user, now: Q(assignee__isnull=True, status__in=OPEN), DUE_FIRST),
        Queue("new", "New", lambda user, now: Q(status=S.REQUESTED)),
        Queue("waiting", "Waiting on customer", lambda user, now: Q(status=S.NEEDS_INFO), ("-status_changed_at",)),
        Queue(
            "parcel",
            "Awaiting parcel",
            lambda user, now: Q(status__in=[S.APPROVED, S.IN_TRANSIT]),
            ("status_changed_at",),
        ),
        Queue("inspect", "To inspect", lambda user, now: Q(status=S.RECEIVED)),
        Queue("resolve", "Ready to resolve", lambda user, now: Q(status=S.INSPECTED)),
        Queue("approvals", "Approvals", lambda user, now: Q(status=S.AWAITING_APPROVAL), managers_only=True),
        Queue("refund_pending", "Refund pending", lambda user, now: Q(status=S.REFUND_PENDING), ("status_changed_at",)),
        Queue("refund_failed", "Refund failed", lambda user, now: Q(status=S.REFUND_FAILED)),
        Queue("disputes", "Disputes", lambda user, now: Q(order_id__in=orders_with_open_dispute()), ("-created_at",)),
        Queue("sla", "SLA at risk or breached", lambda user, now: Q(sla_due_at__lte=now + AT_RISK_WINDOW)),
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
    manager = can.is_manager(user)
    return [q for q in QUEUES.values() if manager or not q.managers_only]


def queue_for(key: str | None, user) -> Queue:
    visible = {q.key: q for q in queues_for(user)}
    return visible.get(key or DEFAULT_QUEUE, visible[DEFAULT_QUEUE])


def _count_many(querysets: dict[str, QuerySet]) -> dict[str, int]:
    """Several COUNTs in one round trip: SELECT (SELECT COUNT(*) …), (SELECT COUNT(*) …), …"""
    if not querysets:
        return {}
    parts, params = [], []
    for qs in querysets.values():
        sql, qs_params = qs.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")  # noqa: S608 - Django-compiled SQL, params bound
        params.extend(qs_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def queue_counts(user) -> dict[str, int]:
    """Each visible queue's count. Shared counts are cached briefly; "My open" is the user's own."""
    now = clock.now()
    visible = queues_for(user)
    shared_key = f"desk-queue-counts:{int(now.timestamp()) // COUNTS_CACHE_SECONDS}"
    shared = cache.get(shared_key)
    wanted = {}
    if shared is None:
        wanted.update(
            {q.key: ReturnRequest.objects.filter(q.condition(user, now)) for q in QUEUES.values() if not q.per_user}
        )
    wanted.update({q.key: ReturnRequest.objects.filter(q.condition(user, now)) for q in visible if q.per_user})
    counted = _count_many(wanted)
    if shared is None:
        shared = {k: v for k, v in counted.items() if not QUEUES[k].per_user}
        cache.set(shared_key, shared, COUNTS_CACHE_SECONDS * 2)
    return {q.key: counted.get(q.key, shared.get(q.key, 0)) for q in visible}


def invalidate_counts() -> None:
    """After a change the person who made it should see it counted: drop this window's cached counts."""
    now = clock.now()
    cache.delete(f"desk-queue-counts:{int(now.timestamp()) // COUNTS_CACHE_SECONDS}")


ROW_FIELDS = (
    "rma_number",
    "status",
    "sla_due_at",
    "customer_name",
    "email",
    "quoted_amount",
    "currency",
    "created_at",
    "priority",
    "order_id",
    "order__number",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
)


def queue_rows(queue: Queue, user, filtered: QuerySet) -> QuerySet:
    """The queue's returns after the filters, with what each row shows, in the queue's order."""
    now = clock.now()
    return (
        filtered.filter(queue.condition(user, now))
        .select_related("order", "assignee")
        .only(*ROW_FIELDS)
        .annotate(has_open_dispute=open_dispute_on_order(), customer_flagged=flagged_customer())
    )


@dataclass
class Page:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)


def page_of(rows: QuerySet, number: int) -> Page:
    """One page, fetched with one extra row to know whether another follows (no COUNT of the whole set).

    The page's ids are found first (a narrow sort), then only those rows are loaded with their joins and
    per-row subqueries; sorting the wide rows would compute those for every candidate.
    """
    number = max(number, 1)
    offset = (number - 1) * PAGE_SIZE
    ids = list(rows.values_list("pk", flat=True)[offset : offset + PAGE_SIZE + 1])
    by_id = {rr.pk: rr for rr in rows.order_by().filter(pk__in=ids[:PAGE_SIZE])}
    return Page(rows=[by_id[pk] for pk in ids[:PAGE_SIZE]], number=number, has_next=len(ids) > PAGE_SIZE)


@dataclass(frozen=True)
class Row:
    """What one queue row shows, worked out in Python once: a dense page renders 50 of these quickly."""

    pk: int
    rma: str
    url: str
    status: str
    status_label: str
    sla_state: str
    sla_text: str
    sla_title: str
    customer: str
    flagged: bool
    dispute: bool
    order_number: str
    value: str
    opened_iso: str
    opened_title: str
    age: str
    assignee: str
    priority: int
    priority_label: str
    approval: object = None  # payments.selectors.ApprovalSummary, for returns awaiting a manager


def _approvals(returns: list[ReturnRequest]) -> dict:
    """The money request of each row awaiting a manager: one query for the requests, then the rule's figures."""
    from returns_desk.payments.selectors import approval_summaries

    waiting = [rr.pk for rr in returns if rr.status == S.AWAITING_APPROVAL]
    if not waiting:
        return {}
    requests = ReturnRequest.objects.filter(pk__in=waiting).select_related("order", "requested_by")
    return approval_summaries(requests)


def rows_for_display(returns: list[ReturnRequest]) -> list[Row]:
    from django.urls import reverse
    from django.utils import timezone

    from returns_desk.returns.sla import state_of

    now = clock.now()
    ticket_url = reverse("desk:ticket", args=[0]).removesuffix("0/")
    approvals = _approvals(returns)
    rows = []
    for rr in returns:
        state = state_of(rr.sla_due_at, now)
        if rr.sla_due_at is None:
            sla_text = "Paused" if rr.status == S.NEEDS_INFO else "—"
            sla_title = ""
        else:
            seconds = (rr.sla_due_at - now).total_seconds()
            sla_text = (
                f"Overdue {short_duration(seconds)}" if state == "overdue" else f"Due in {short_duration(seconds)}"
            )
            sla_title = f"Due {timezone.localtime(rr.sla_due_at):%d %b %Y %H:%M}"
        assignee = rr.assignee.get_full_name() or rr.assignee.get_username() if rr.assignee_id else ""
        opened = timezone.localtime(rr.created_at)
        rows.append(
            Row(
                pk=rr.pk,
                rma=rr.rma_number,
                url=f"{ticket_url}{rr.pk}/",
                status=rr.status,
                status_label=rr.get_status_display(),
                sla_state=state,
                sla_text=sla_text,
                sla_title=sla_title,
                customer=rr.customer_name or rr.email,
                flagged=rr.customer_flagged,
                dispute=rr.has_open_dispute,
                order_number=rr.order.number,
                value=rr.quoted_amount_display,
                opened_iso=opened.isoformat(),
                opened_title=f"{opened:%d %b %Y %H:%M}",
                age=short_duration((now - rr.created_at).total_seconds()),
                assignee=assignee,
                priority=rr.priority,
                priority_label=rr.get_priority_display(),
                approval=approvals.get(rr.pk),
            )
        )
    return rows
