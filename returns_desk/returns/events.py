"""What happens to a return, as typed events, and how subscribers hear of them.

`publish(event)` calls each subscriber of the event's type at once, inside the caller's transaction: those
subscribers only write rows (an outbox email, a note) that commit or roll back with the change.
`publish_on_commit(event)` calls them after the transaction commits (never on rollback), for side effects.
Returns never imports its subscribers (they live on the floors above it); every subscription is listed in
one module, `returns_desk.wiring.subscribers`, so a reader sees there what runs when.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .models import ReturnEvent, ReturnRequest


@dataclass(frozen=True)
class TransitionRecorded:
    """A return changed state (`transition` is "" when it was opened); published inside the transaction."""

    return_request: ReturnRequest
    transition: str
    event: ReturnEvent


@dataclass(frozen=True)
class ReturnTransitioned:
    """The same change, published after commit: ids only, as the return may have moved on by then."""

    return_id: int
    transition: str
    from_state: str
    to_state: str
    event_id: int


@dataclass(frozen=True)
class DeskMessageRecorded:
    """A VA wrote to the customer; published inside the transaction."""

    return_request: ReturnRequest
    event: ReturnEvent


@dataclass(frozen=True)
class CustomerWrote:
    """The customer wrote (status page, email, a survey comment), in whatever state the return is; published
    inside the transaction. `first` when the conversation was answered until now."""

    return_request: ReturnRequest
    event: ReturnEvent | None
    first: bool


@dataclass(frozen=True)
class SlaBreached:
    """The SLA escalation raised these returns' priority (after its writes committed)."""

    returns: list[ReturnRequest]


_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)


def publish(event: object) -> None:
    for handler in list(_subscribers[type(event)]):
        handler(event)


def publish_on_commit(event: object) -> None:
    transaction.on_commit(lambda: publish(event))
