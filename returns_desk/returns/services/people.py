"""Who works a return, and how urgently: assignment, claims, taking over, bulk actions and priority."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction

from returns_desk.core import clock
from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed, AlreadyActedError, ServiceError
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import permissions as can
from returns_desk.returns.models import Priority, ReturnEvent, ReturnRequest
from returns_desk.staff import roles

from .engine import short_moment
from .locks import lock_return
from .stages import return_close
from .timeline import record_event


def return_raise_priority(*, return_request: ReturnRequest, priority: int) -> None:
    """Escalate (never lower) a return's priority, e.g. when a chargeback arrives; the caller writes the news."""
    ReturnRequest.objects.filter(pk=return_request.pk, priority__lt=priority).update(priority=priority)


def return_set_priority(
    *, return_request: ReturnRequest, priority: int, by: Actor, note: str = "", data: dict | None = None
) -> bool:
    """Change a return's priority with the change on the timeline, both in one transaction (staff in admin, or
    the SLA escalation). Returns whether anything changed."""
    if priority not in Priority.values:
        raise ServiceError("Choose a priority: low, normal, high or urgent.")
    if by.kind == Actor.STAFF and not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can change a return's priority.")
    with transaction.atomic():
        rr = lock_return(return_request)
        if rr.priority == priority:
            return False
        before = rr.get_priority_display()
        rr.priority = priority
        rr.updated_at = clock.now()
        rr.save(update_fields=["priority", "updated_at"])
        body = f"Priority {before.lower()} → {rr.get_priority_display().lower()}."
        record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.NOTE,
            by=by,
            body=f"{note} {body}".strip() if note else body,
            data={"priority": priority, **(data or {})},
        )
    return_request.priority = priority
    return True


def _assignment_words(previous, assignee, *, claim: bool, by: Actor) -> str:
    if assignee is None:
        return f"Unassigned (was {display_name(previous)})."
    if claim or (by.user and assignee.pk == by.user.pk):
        return f"Claimed by {display_name(assignee)}."
    return f"Assigned to {display_name(assignee)}" + (f" (was {display_name(previous)})." if previous else ".")


def return_assign(*, return_request: ReturnRequest, assignee, by: Actor, claim: bool = False) -> ReturnRequest:
    """Give a return to a VA, or to nobody (`assignee=None`); a claim is taking it for oneself.

    A claim is refused when someone else took the return first (the second VA learns who, and when);
    an explicit assignment may move it on. Either writes one internal timeline entry.
    """
    if not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can assign returns.")
    if assignee is not None and not roles.is_agent(assignee):
        raise ServiceError(f"{display_name(assignee)} is not on the returns desk.")
    with transaction.atomic():
        rr = lock_return(return_request)
        if rr.assignee_id == (assignee.pk if assignee else None):
            return rr  # already so: nothing to record
        if claim and rr.assignee_id is not None:
            last = rr.events.filter(kind=ReturnEvent.Kind.ASSIGNMENT).order_by("-created_at", "-id").first()
            when = f" at {short_moment(last.created_at)}" if last else ""
            raise AlreadyActedError(f"Already claimed by {display_name(rr.assignee)}{when}. Nothing was changed.")
        if claim and not rr.is_open:
            raise ActionNotAllowed(f"This return is {rr.get_status_display().lower()}; there is nothing to claim.")
        previous = rr.assignee
        rr.assignee = assignee
        rr.updated_at = clock.now()
        rr.save(update_fields=["assignee", "updated_at"])
        record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.ASSIGNMENT,
            by=by,
            body=_assignment_words(previous, assignee, claim=claim, by=by),
            data={"assignee_id": assignee.pk if assignee else None, "previous_id": previous.pk if previous else None},
        )
    return rr


def return_claim(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return return_assign(return_request=return_request, assignee=by.user, by=by, claim=True)


def _last_desk_activity(rr: ReturnRequest):
    """When someone on the desk last wrote on the return's timeline (or when it was opened, if nobody has)."""
    events = rr.events.filter(actor_kind=ReturnEvent.ActorKind.STAFF).order_by("-created_at", "-id")
    return events.values_list("created_at", flat=True).first() or rr.created_at


def _refuse_take_over_while_busy(rr: ReturnRequest, previous) -> None:
    """A VA may take over only a ticket its assignee has left alone longer than the policy's idle time."""
    hours = active_policy().take_over_idle_hours
    last = _last_desk_activity(rr)
    if clock.now() - last >= timedelta(hours=hours):
        return
    raise ActionNotAllowed(
        f"{display_name(previous)} is working on this return (last activity at {short_moment(last)}). "
        f"A VA can take it over after {hours} h without activity, from {short_moment(last + timedelta(hours=hours))};"
        " a manager can take it over now. Nothing was changed."
    )


def return_take_over(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    """Reassign a colleague's return to oneself, with a timeline note naming who had it.

    Managers always may. A VA may once the ticket has been idle longer than the policy's
    `take_over_idle_hours`, idle meaning no timeline entry by anyone on the desk: a customer writing again or
    the SLA escalating makes a neglected ticket more urgent, not busier. An unassigned return is simply claimed.
    """
    if not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can take over returns.")
    with transaction.atomic():
        rr = lock_return(return_request)
        previous = rr.assignee
        if previous is None:
            return return_assign(return_request=rr, assignee=by.user, by=by, claim=True)
        if previous.pk == by.user.pk:
            return rr  # already theirs: nothing to record
        if not rr.is_open:
            raise ActionNotAllowed(f"This return is {rr.get_status_display().lower()}; there is nothing to take over.")
        if not roles.is_manager(by.user):
            _refuse_take_over_while_busy(rr, previous)
        rr.assignee = by.user
        rr.updated_at = clock.now()
        rr.save(update_fields=["assignee", "updated_at"])
        record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.ASSIGNMENT,
            by=by,
            body=f"Taken over by {display_name(by.user)} from {display_name(previous)}.",
            data={"assignee_id": by.user.pk, "previous_id": previous.pk, "take_over": True},
        )
    return rr


@dataclass
class BulkResult:
    """What a bulk action did to each return: done, or refused with the reason in words."""

    done: list[str]
    refused: list[tuple[str, str]]


def _bulk(return_ids: Sequence[int], act: Callable[[ReturnRequest], Any]) -> BulkResult:
    result = BulkResult(done=[], refused=[])
    for rr in ReturnRequest.objects.filter(pk__in=list(return_ids)).order_by("pk"):
        try:
            act(rr)  # each in its own transaction: one refusal does not undo the others
        except ServiceError as error:
            result.refused.append((rr.rma_number, str(error)))
        else:
            result.done.append(rr.rma_number)
    return result


def returns_bulk_assign(*, return_ids: Sequence[int], assignee, by: Actor) -> BulkResult:
    return _bulk(return_ids, lambda rr: return_assign(return_request=rr, assignee=assignee, by=by))


def returns_bulk_close(*, return_ids: Sequence[int], by: Actor) -> BulkResult:
    return _bulk(return_ids, lambda rr: return_close(return_request=rr, by=by))
