"""The rows of a queue's table: one page of returns, and what each row shows.

One query finds a page of 50 ids (plus one to know whether a next page follows), never a COUNT of the filtered
set; a second loads those rows with their joins and per-row subqueries.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import display_name
from returns_desk.core.templatetags.durations import short_duration
from returns_desk.customers.models import CustomerFlag
from returns_desk.desk.queues.definitions import Queue
from returns_desk.desk.queues.order import page_order
from returns_desk.payments.models import Dispute
from returns_desk.payments.selectors import approval_summaries
from returns_desk.returns.models import ReturnRequest
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.returns.sla import state_of

PAGE_SIZE = 50

ROW_FIELDS = (
    "rma_number",
    "status",
    "sla_due_at",
    "awaiting_reply_since",
    "reply_due_at",
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


def open_dispute_on_order() -> Exists:
    return Exists(Dispute.objects.filter(order_id=OuterRef("order_id")).exclude(status__in=Dispute.FINAL_STATUSES))


def flagged_customer() -> Exists:
    return Exists(CustomerFlag.objects.filter(email=OuterRef("email"), kind__in=CustomerFlag.FLAGGED))


def queue_rows(queue: Queue, user, filtered: QuerySet) -> QuerySet:
    """The queue's returns after the filters, with what each row shows, in the order asked for (the queue's or the
    chosen sort), read the way an index gives it (see `order`)."""
    now = clock.now()
    return (
        filtered.filter(queue.condition(user, now))
        .order_by(*page_order(filtered.query.order_by or queue.ordering))
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
    waiting: str = ""  # how long the customer has waited for an answer ("" when nobody waits)
    waiting_title: str = ""


def _approvals(returns: list[ReturnRequest]) -> dict:
    """The money request of each row awaiting a manager: one query for the requests, then the rule's figures."""
    waiting = [rr.pk for rr in returns if rr.status == S.AWAITING_APPROVAL]
    if not waiting:
        return {}
    requests = ReturnRequest.objects.filter(pk__in=waiting).select_related("order", "requested_by")
    return approval_summaries(requests)


def _sla_words(rr: ReturnRequest, state: str, now) -> tuple[str, str]:
    """The SLA cell's text and its tooltip (none while no desk deadline runs)."""
    if rr.sla_due_at is None:
        return ("Paused" if rr.status == S.NEEDS_INFO else "—"), ""
    seconds = (rr.sla_due_at - now).total_seconds()
    text = f"Overdue {short_duration(seconds)}" if state == "overdue" else f"Due in {short_duration(seconds)}"
    return text, f"Due {timezone.localtime(rr.sla_due_at):%d %b %Y %H:%M}"


def waiting_words(rr: ReturnRequest, now) -> tuple[str, str]:
    """ "Customer replied 3 h ago" and its tooltip (when the answer is due), or nothing when nobody waits."""
    if rr.awaiting_reply_since is None:
        return "", ""
    waited = short_duration((now - rr.awaiting_reply_since).total_seconds())
    due = f"Answer due {timezone.localtime(rr.reply_due_at):%d %b %H:%M}" if rr.reply_due_at else ""
    late = " (late)" if rr.reply_due_at and rr.reply_due_at < now else ""
    return f"Customer replied {waited} ago{late}", due


def rows_for_display(returns: list[ReturnRequest]) -> list[Row]:
    now = clock.now()
    ticket_url = reverse("desk:ticket", args=[0]).removesuffix("0/")
    approvals = _approvals(returns)
    rows = []
    for rr in returns:
        state = state_of(rr.sla_due_at, now)
        sla_text, sla_title = _sla_words(rr, state, now)
        assignee = display_name(rr.assignee) if rr.assignee_id else ""
        opened = timezone.localtime(rr.created_at)
        waiting, waiting_title = waiting_words(rr, now)
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
                waiting=waiting,
                waiting_title=waiting_title,
            )
        )
    return rows
