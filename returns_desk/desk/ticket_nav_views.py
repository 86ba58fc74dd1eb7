"""Moving through the desk from a ticket: the next ticket in the queue being walked, and taking a ticket over.

A walk is kept in the session: the queue, the ticket it is at, that ticket's place in the queue's order when the
walk reached it, and the tickets seen so far. Opening a ticket from a queue page (`?queue=…`) starts one; "n"
moves it on, and a ticket page shown again after an action continues it.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import ServiceError
from returns_desk.desk.queues import walk
from returns_desk.desk.queues.counts import invalidate_counts
from returns_desk.desk.queues.definitions import Queue, queue_for
from returns_desk.returns import services
from returns_desk.returns.models import ReturnRequest
from returns_desk.staff.access import desk_staff

WALK_SESSION_KEY = "desk_walk"
SEEN_KEPT = 500  # a walk remembers this many tickets; a queue walked further starts forgetting its oldest


def _walk_state(queue: Queue, rr: ReturnRequest, seen: list[int]) -> dict:
    return {"queue": queue.key, "at": rr.pk, "place": walk.place_of(queue, rr), "seen": [*seen, rr.pk][-SEEN_KEPT:]}


def _walk_at(request, queue: Queue, rr: ReturnRequest) -> dict | None:
    """The session's walk when it is at this ticket in this queue."""
    state = request.session.get(WALK_SESSION_KEY) or {}
    return state if state.get("queue") == queue.key and state.get("at") == rr.pk else None


def ticket_walk(request, rr: ReturnRequest) -> dict:
    """The ticket page's way on: the queue walked (`?queue=` starts a walk at this ticket). Which ticket comes
    next is worked out only when asked ("n"): in a VA's own long queue that sort is the page's costliest query."""
    state = request.session.get(WALK_SESSION_KEY) or {}
    if request.GET.get("queue"):
        queue = queue_for(request.GET["queue"], request.user)
        state = _walk_at(request, queue, rr) or {}
        if not state:  # entering from the queue page: a new walk starts here
            state = request.session[WALK_SESSION_KEY] = _walk_state(queue, rr, [])
    elif state.get("at") == rr.pk:
        queue = queue_for(state.get("queue"), request.user)
    else:  # opened from elsewhere: walk on from here in the queue it belongs to
        queue = queue_for(walk.home_queue(rr, request.user), request.user)
    return {"walk_queue": queue}


@desk_staff
def next_ticket(request, pk: int):
    """Go on to the next ticket of the queue being walked; at its end, back to the queue page."""
    rr = get_object_or_404(ReturnRequest, pk=pk)
    queue = queue_for(request.GET.get("queue") or walk.home_queue(rr, request.user), request.user)
    state = _walk_at(request, queue, rr) or _walk_state(queue, rr, [])
    following = walk.next_in_queue(queue, request.user, state["place"], state["seen"])
    if following is None:
        request.session[WALK_SESSION_KEY] = state
        messages.info(request, f"That was the last ticket you can work on in “{queue.label}”.")
        return redirect(f"{reverse('desk:index')}?queue={queue.key}")
    request.session[WALK_SESSION_KEY] = _walk_state(queue, following, state["seen"])
    return redirect(f"{following.get_absolute_url()}?queue={queue.key}")


@desk_staff
@require_POST
def take_over(request, pk: int):
    """Take a colleague's ticket (a manager always may; a VA once it has been idle as long as the policy says)."""
    rr = get_object_or_404(ReturnRequest.objects.select_related("assignee"), pk=pk)
    previous = rr.assignee
    try:
        services.return_take_over(return_request=rr, by=Actor.staff(request.user))
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        invalidate_counts()
        taken = f" (taken over from {display_name(previous)})" if previous and previous != request.user else ""
        messages.success(request, f"{rr.rma_number} is yours{taken}.")
    return redirect(rr.get_absolute_url())
