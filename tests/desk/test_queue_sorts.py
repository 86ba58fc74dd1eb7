"""Growth-free sorts: every queue page's order comes from an index, with no sort step, on SQLite and PostgreSQL.

The page query is built as the queue page builds it (the queue's order, or the "Sort" chosen in the filters) and
EXPLAINed: SQLite must not "USE TEMP B-TREE FOR ORDER BY"; PostgreSQL, with sorts and sequential scans priced out
so that the plan shows whether an index can give the order at all, must have no Sort node.
"""

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.utils import timezone

from returns_desk.core.clock import frozen_at
from returns_desk.desk.filters import SORTS, ReturnFilter
from returns_desk.desk.queues.definitions import QUEUES
from returns_desk.desk.queues.rows import PAGE_SIZE, page_of, queue_rows
from returns_desk.returns.models import OPEN_STATUSES, ReturnRequest, ReturnStatus
from tests.factories import OrderFactory, return_row_in_state

pytestmark = pytest.mark.django_db

# Queues over one state (and "All", and the agent's own open returns) offer every sort from an index. The
# others read their own order from one; a chosen sort there sorts what the queue holds, which is bounded by the
# work in progress (or a week, for "Recently closed"), not by the shop's history.
ONE_STATE = ["new", "waiting", "inspect", "resolve", "approvals", "refund_pending", "refund_failed"]
EVERY_SORT_SERVED = ["all", "mine", *ONE_STATE]
# Not even their own order, on purpose: "Disputes" reads the few orders with an open dispute first and sorts their
# returns, and "SLA at risk" (either of two deadlines) reads the at-risk returns through the deadline indexes and
# sorts those; an index walk in the page's order would read every return whenever fewer than a page match.
NOT_SERVED = {"disputes", "sla"}
SHOP_SIZE = 3000


@pytest.fixture
def busy_desk(agent, second_agent):
    """A shop with history (most returns finished), then the planner's statistics, as after any bulk load."""
    rng, now, order = random.Random(16), timezone.now(), OrderFactory()
    finished = [ReturnStatus.CLOSED] * 30 + [ReturnStatus.RESOLVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED]
    states = finished + sorted(OPEN_STATUSES)
    rows = []
    for i in range(SHOP_SIZE):
        status = rng.choice(states)
        is_open = status in OPEN_STATUSES
        created = now - dt.timedelta(minutes=7 * i)
        rows.append(
            ReturnRequest(
                rma_number=f"BULK-{i}",
                order=order,
                email=order.email,
                status=status,
                priority=rng.randrange(4),
                quoted_amount=rng.randrange(100, 90000),
                assignee=rng.choice([agent, second_agent, None]) if is_open else None,
                sla_due_at=now + dt.timedelta(hours=rng.randrange(-20, 60)) if is_open and rng.random() < 0.8 else None,
                awaiting_reply_since=created if rng.random() < 0.02 else None,
                created_at=created,
                updated_at=created,
                status_changed_at=created + dt.timedelta(hours=rng.randrange(1, 300)),
            )
        )
    ReturnRequest.objects.bulk_create(rows, batch_size=500)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _page_sql(queue_key: str, user, sort: str | None) -> tuple[str, list]:
    """The SQL of the query that finds a page's ids, as the queue page runs it."""
    queue = QUEUES[queue_key]
    base = ReturnRequest.objects.order_by(*queue.ordering, "-pk")
    filtered = ReturnFilter({"sort": sort}, queryset=base, user=user, staff=[]).qs if sort else base
    ids = queue_rows(queue, user, filtered).values_list("pk", flat=True)[: PAGE_SIZE + 1]
    sql, params = ids.query.sql_with_params()
    return sql, list(params)


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for setting in ("enable_sort", "enable_incremental_sort", "enable_seqscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _sorts(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return re.search(r"\bSort\b", plan) is not None
    return "TEMP B-TREE FOR" in plan and "ORDER BY" in plan


def _orders_to_check() -> list[tuple[str, str | None]]:
    own = [(key, None) for key in QUEUES if key not in NOT_SERVED]
    chosen = [(key, sort) for key in EVERY_SORT_SERVED for sort, _ in SORTS]
    return own + chosen


def test_every_queue_order_and_offered_sort_is_read_from_an_index(agent, busy_desk):
    sorting = {}
    for key, sort in _orders_to_check():
        plan = _plan(*_page_sql(key, agent, sort))
        if _sorts(plan):
            sorting[f"{key}/{sort or 'own'}"] = plan
    assert not sorting, sorting


def test_the_check_sees_a_sort_when_no_index_gives_the_order(agent, busy_desk):
    sql, params = _page_sql("all", agent, None)
    unserved = sql.replace("ORDER BY", "ORDER BY UPPER(rma_number),", 1)
    assert _sorts(_plan(unserved, params))


def _sla_page(agent, queue: str) -> list[int]:
    base = ReturnRequest.objects.order_by(*QUEUES[queue].ordering, "-pk")
    filtered = ReturnFilter({"sort": "sla"}, queryset=base, user=agent, staff=[]).qs
    return [rr.pk for rr in page_of(queue_rows(QUEUES[queue], agent, filtered), 1).rows]


def test_a_return_without_a_deadline_sorts_last_by_sla(agent):
    now = timezone.now()
    with frozen_at(now):
        paused = return_row_in_state("needs_info")  # waiting on the customer: no desk deadline
        later = return_row_in_state("requested")
        sooner = return_row_in_state("requested")
    ReturnRequest.objects.filter(pk=paused.pk).update(sla_due_at=None)
    ReturnRequest.objects.filter(pk=later.pk).update(sla_due_at=now + dt.timedelta(hours=5))
    ReturnRequest.objects.filter(pk=sooner.pk).update(sla_due_at=now + dt.timedelta(hours=1))
    assert _sla_page(agent, "all") == [sooner.pk, later.pk, paused.pk]
    ReturnRequest.objects.filter(pk__in=[paused.pk, later.pk, sooner.pk]).update(assignee=agent)
    assert _sla_page(agent, "mine") == [sooner.pk, later.pk, paused.pk]
