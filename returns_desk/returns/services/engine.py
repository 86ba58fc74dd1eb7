"""The transition engine: every change of a return's state runs through `run_transition`.

Read top to bottom, one transition is: lock the rows (the order first when money moves, then the return);
refuse if the transition is not open from the current state (usually: someone acted first); `prepare` the
in-memory changes the permission depends on; check who asks; `settle` the writes the conditions depend on;
check the conditions; `apply` the writes that need the transition allowed (money); change state, restart the
SLA clock and stamp milestones; save the changed columns; write one timeline event; publish it (inside the
transaction for the outbox, after commit for side effects). A refusal raises a `ServiceError` whose text is
meant for the person who asked, and the transaction rolls back, so nothing is half-written.
"""

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed, AlreadyActedError, ServiceError
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import milestones, sla
from returns_desk.returns import permissions as can
from returns_desk.returns.events import ReturnTransitioned, TransitionRecorded, publish, publish_on_commit
from returns_desk.returns.models import ReturnEvent, ReturnRequest
from returns_desk.returns.transition_words import TRANSITION_WORDS

from .locks import lock_return
from .timeline import record_event

CONDITION_REFUSALS = {
    "no_open_dispute": "A payment dispute is open on this order; no refund can be sent until it is settled.",
    "has_refund_amount": "There is nothing to refund: no item was accepted at inspection.",
    "every_item_inspected": "Every item needs an inspection outcome first.",
    "returnless_allowed_by_policy": "The policy does not let the customer keep the item for a refund this large.",
}

Words = str | Callable[[], str]


def short_moment(moment) -> str:
    """ "10:42" today, "03 Mar 2026 10:42" before: for "(approved by Ana at …)"."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(clock.now()).date():
        return f"{local:%H:%M}"
    return f"{local:%d %b %Y %H:%M}"


def required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(f"Please give {what}.")
    return text


def _already_acted(rr: ReturnRequest, action: str) -> ActionNotAllowed:
    """Explain a transition that is not open from the current state: usually someone acted first."""
    state = rr.get_status_display()
    last = (
        rr.events.filter(kind=ReturnEvent.Kind.TRANSITION)
        .select_related("actor_user")
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None or last.transition not in TRANSITION_WORDS:
        return ActionNotAllowed(
            f"{TRANSITION_WORDS[action].label} is not possible while the return is {state}. Nothing was changed."
        )
    who, when = last.actor_label, short_moment(last.created_at)
    if last.transition == action:
        return AlreadyActedError(f"Already {TRANSITION_WORDS[action].done} by {who} at {when}. Nothing was changed.")
    return AlreadyActedError(
        f"{TRANSITION_WORDS[action].label} is no longer possible: the return is now {state} "
        f"({TRANSITION_WORDS[last.transition].done} by {who} at {when}). Nothing was changed."
    )


def _transition_spec(rr: ReturnRequest, action: str):
    """django-fsm's description of `action` from the return's current state (read here and nowhere else),
    or a refusal that says who moved the return on."""
    meta = getattr(rr, action)._django_fsm
    if not meta.has_transition(rr.status):
        raise _already_acted(rr, action)
    return meta.get_transition(rr.status)


def _check_permission(rr: ReturnRequest, action: str, spec, by: Actor) -> None:
    if spec.has_perm(rr, by):
        return
    if spec.permission is can.manager:
        raise ActionForbidden(f"Only a manager can {TRANSITION_WORDS[action].label.lower()}.")
    raise ActionForbidden(f"You are not allowed to {TRANSITION_WORDS[action].label.lower()} on this return.")


def _check_conditions(rr: ReturnRequest, spec) -> None:
    for condition in spec.conditions:
        if not condition(rr):
            raise ActionNotAllowed(CONDITION_REFUSALS.get(condition.__name__, "The policy does not allow this now."))


def _column_values(rr: ReturnRequest) -> dict[str, Any]:
    return {field.attname: getattr(rr, field.attname) for field in ReturnRequest._meta.concrete_fields}


def _move(rr: ReturnRequest, action: str, *, from_state: str, before: dict[str, Any]):
    """Change state through django-fsm, restart the SLA clock, stamp milestones, save what changed."""
    getattr(rr, action)()
    now = clock.now()
    rr.status_changed_at = rr.updated_at = now
    current = sla.Clock(rr.sla_due_at, rr.sla_paused_seconds)
    targets = sla.Targets.from_policy(active_policy())
    after = sla.clock_after(to_state=rr.status, from_state=from_state, now=now, current=current, targets=targets)
    rr.sla_due_at, rr.sla_paused_seconds = after.due_at, after.paused_seconds
    milestones.stamp(rr, action=action, to_state=rr.status, moment=now)
    changed = _column_values(rr)
    rr.save(update_fields=[name for name, value in changed.items() if before[name] != value])
    return now


def publish_transition(rr: ReturnRequest, event: ReturnEvent, *, transition: str, from_state: str) -> None:
    """Tell the subscribers: inside the transaction (their rows commit with it), then after commit."""
    publish(TransitionRecorded(return_request=rr, transition=transition, event=event))
    publish_on_commit(
        ReturnTransitioned(
            return_id=rr.pk, transition=transition, from_state=from_state, to_state=rr.status, event_id=event.pk
        )
    )


def _words(words: Words) -> str:
    return words() if callable(words) else words


def run_transition(
    *,
    return_request: ReturnRequest,
    action: str,
    by: Actor,
    prepare: Callable[[ReturnRequest], None] | None = None,
    settle: Callable[[ReturnRequest], Any] | None = None,
    apply: Callable[[ReturnRequest], Any] | None = None,
    body: Words = "",
    customer_body: Words = "",
    data: dict | None = None,
    lock_order: bool = False,
) -> ReturnRequest:
    """Run one transition safely; every per-action service is a thin wrapper of this one.

    `body` may be a callable, for an event whose words depend on what `apply` decided. `customer_body` is what
    the customer reads instead (never a provider's raw error or a VA's limit); giving one shows them the event.
    """
    if action not in TRANSITION_WORDS:
        raise ValueError(f"Unknown transition {action!r}")
    with transaction.atomic():
        rr = lock_return(return_request, with_order=lock_order)
        from_state, before = rr.status, _column_values(rr)
        spec = _transition_spec(rr, action)
        if prepare:
            prepare(rr)
        _check_permission(rr, action, spec, by)
        settled = settle(rr) if settle else None
        _check_conditions(rr, spec)
        applied = apply(rr) if apply else None
        now = _move(rr, action, from_state=from_state, before=before)
        result = {**(settled or {}), **(applied or {})}
        told = _words(customer_body)
        event = record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.TRANSITION,
            by=by,
            transition=action,
            from_state=from_state,
            to_state=rr.status,
            body=_words(body),
            visible_to_customer=bool(told) or not TRANSITION_WORDS[action].internal,
            data={
                **(data or {}),
                **({"result": result} if result else {}),
                **({"customer_body": told} if told else {}),
            },
            at=now,
        )
        publish_transition(rr, event, transition=action, from_state=from_state)
    return rr
