"""The indexes that give each queue page its order without a sort step (`ReturnRequest.Meta.indexes`).

The page reads an order as desk.queues.order writes it: no deadline (NULL) last, the id last in the direction of
the last key. tests/desk/test_queue_sorts.py checks with EXPLAIN, on SQLite and PostgreSQL, that no page sorts.
"""

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, F, Q

from returns_desk.returns.models.choices import OPEN_STATUSES, S

# The keys of the orders a queue page offers (desk.queues.definitions and the desk's "Sort"), the id last as the
# page breaks ties (newest id first, see desk.queues.order). A descending sort reads its index backwards.
_ORDER_KEYS = {
    "sla": ["sla_due_at", "created_at", "-id"],  # SLA due (no deadline last), then oldest
    "newest": ["created_at", "id"],
    "oldest": ["created_at", "-id"],
    "value": ["quoted_amount", "created_at", "id"],  # highest first
    "priority": ["priority", "created_at", "id"],  # highest first
    "changed": ["status_changed_at", "id"],  # last changed first
    "waited": ["status_changed_at", "-id"],  # longest in the state first
}
_OPEN = Q(status__in=sorted(OPEN_STATUSES))  # the queues' filter, the same states in the same order


def _index(name: str, key: str, *, first: str = "", condition: Q | None = None) -> models.Index:
    fields = [first, *_ORDER_KEYS[key]] if first else _ORDER_KEYS[key]
    return models.Index(fields=fields, name=f"return_{name}_idx", condition=condition)


def queue_order_indexes() -> list[models.Index]:
    """Each sort on its own ("All"), after one state (the queues over one state), and after "open and assigned
    to …" ("My open"); the queues over several states, or nobody's, have a partial index for their own order."""
    no_deadline_last = ExpressionWrapper(Q(sla_due_at__isnull=True), output_field=BooleanField())
    every_sort = ["sla", "newest", "oldest", "value", "priority", "changed"]
    return [
        *(_index(f"{key}_order", key) for key in every_sort),
        *(_index(f"state_{key}", key, first="status") for key in [*every_sort, "waited"]),
        *(_index(f"open_{key}", key, first="assignee", condition=_OPEN) for key in every_sort),
        # "My open": a customer waiting for an answer first, then by the desk's deadline (no deadline last).
        models.Index(
            F("assignee"),
            F("awaiting_reply_since"),
            no_deadline_last,
            F("sla_due_at"),
            F("created_at"),
            F("id").desc(),
            name="return_open_answer_first_idx",
            condition=_OPEN,
        ),
        _index("unassigned_sla", "sla", condition=_OPEN & Q(assignee__isnull=True)),
        _index("parcel_waited", "waited", condition=Q(status__in=[S.APPROVED, S.IN_TRANSIT])),
    ]
