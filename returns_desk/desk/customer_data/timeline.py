"""What a customer data request leaves on their returns' timelines: one internal note each."""

from collections.abc import Iterable

from returns_desk.core.actors import Actor
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from returns_desk.returns.services import record_event


def note_on_timelines(returns: Iterable[ReturnRequest], *, by: Actor, body: str, what: str) -> int:
    """An internal note on each return, through the timeline's one writer; `what` (export, erase) is kept in its
    data. Returns how many were written."""
    written = 0
    for rr in returns:
        record_event(return_request=rr, kind=ReturnEvent.Kind.NOTE, by=by, body=body, data={"customer_data": what})
        written += 1
    return written
