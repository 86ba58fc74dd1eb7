"""Walking a queue ticket by ticket ("n"): the next return after a place in the queue's own order.

A place is the values the queue sorts by (the id last, as the queue page breaks ties), taken when the walk
reached a ticket: acting on a ticket may move it in the order (a new SLA deadline), and "next" should still be
the row that followed it on the page. The tickets already seen in the walk are skipped too, so one a change
moved further down is not met twice. Only returns the user can work on are offered.
"""

import datetime as dt

from django.db.models import Q

from returns_desk.core import clock
from returns_desk.desk.queues.definitions import Queue
from returns_desk.desk.queues.order import NOTHING, Term, order_by, terms_for
from returns_desk.returns.models import OPEN_STATUSES, ReturnRequest
from returns_desk.returns.models import ReturnStatus as S
from returns_desk.staff import roles


def terms_of(queue: Queue) -> list[Term]:
    """The queue's order as its page reads it (see `order`), so that "next" follows the page."""
    return terms_for(queue.ordering)


def place_of(queue: Queue, rr: ReturnRequest) -> list:
    """Where `rr` stands in the queue's order, as values a session can keep (datetimes as ISO text)."""
    values = [getattr(rr, term.field) for term in terms_of(queue)]
    return [v.isoformat() if isinstance(v, dt.datetime) else v for v in values]


def _loaded(terms: list[Term], place: list) -> list:
    return [
        dt.datetime.fromisoformat(v) if isinstance(v, str) and term.field != "pk" and _is_moment(term) else v
        for term, v in zip(terms, place, strict=True)
    ]


def _is_moment(term: Term) -> bool:
    return ReturnRequest._meta.get_field(term.field).get_internal_type() == "DateTimeField"


def _after(terms: list[Term], place: list) -> Q:
    """Keyset condition: rows whose keys come after `place`, key by key."""
    found, same = NOTHING, Q()
    for term, value in zip(terms, _loaded(terms, place), strict=True):
        found |= same & term.beyond(value)
        same &= term.equal(value)
    return found


def workable_by(user) -> Q:
    """Returns the user can work on now: open ones that are theirs or nobody's; for a manager, any open one."""
    open_returns = Q(status__in=sorted(OPEN_STATUSES))
    if roles.is_manager(user):
        return open_returns
    theirs = Q(assignee=user) | Q(assignee__isnull=True)
    return open_returns & theirs & ~Q(status=S.AWAITING_APPROVAL)  # a manager's decision, not a VA's


def home_queue(rr: ReturnRequest, user) -> str:
    """The queue a ticket opened without one is walked in: the user's own, the unassigned, or all."""
    if rr.assignee_id == user.pk:
        return "mine"
    return "unassigned" if rr.assignee_id is None else "all"


def next_in_queue(queue: Queue, user, place: list, seen: list[int]) -> ReturnRequest | None:
    """The first return after `place` in the queue's order that the user can work on and has not seen."""
    terms = terms_of(queue)
    fields = {"rma_number", *(t.field for t in terms if t.field != "pk")}
    return (
        ReturnRequest.objects.filter(queue.condition(user, clock.now()))
        .filter(workable_by(user), _after(terms, place))
        .exclude(pk__in=seen)
        .order_by(*order_by(terms))
        .only(*fields)
        .first()
    )
