"""The return's timeline: the only place that writes `ReturnEvent` rows (one at a time; in bulk for the
demo seeder and the outbox). Events are append-only, with one exception the law makes: erasing a customer's
personal data rewrites the words of their entries (`timeline_erase_words`), never who, what or when."""

from collections.abc import Iterable

from django.db import models

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.returns.models import ReturnEvent, ReturnRequest


def _actor_fields(by: Actor) -> dict:
    return {"actor_kind": by.kind, "actor_user": by.user if by.kind == Actor.STAFF else None}


def record_event(
    *,
    return_request: ReturnRequest,
    kind: str,
    by: Actor,
    body: str,
    visible_to_customer: bool = False,
    data: dict | None = None,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    at=None,
) -> ReturnEvent:
    """Append one entry (a transition, message, note, refund or dispute news) to the return's timeline."""
    return ReturnEvent.objects.create(
        return_request=return_request,
        kind=kind,
        **_actor_fields(by),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        body=body,
        visible_to_customer=visible_to_customer,
        data=data or {},
        created_at=at or clock.now(),
    )


def record_events(events: Iterable[ReturnEvent], *, batch_size: int | None = None) -> list[ReturnEvent]:
    """Append many prepared entries in bulk (the demo seeder's history, the outbox's notes)."""
    return ReturnEvent.objects.bulk_create(events, batch_size=batch_size)


def timeline_erase_words(events: Iterable[ReturnEvent]) -> int:
    """Save new words (`body`, `data`) for entries whose personal data is being erased (a customer's right to
    erasure, `desk.customer_data.erase`); the append-only manager refuses every other update."""
    changed = list(events)
    rewritable: models.QuerySet[ReturnEvent] = models.QuerySet(model=ReturnEvent)
    rewritable.bulk_update(changed, ["body", "data"])
    return len(changed)
