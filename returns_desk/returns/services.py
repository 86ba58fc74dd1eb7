"""Every write to a return goes through here.

A state change (`run_transition`) is: lock the rows (the order first when money moves, then the
return), check that the transition is open from the current state, check who asks and the
transition's conditions, make the action's own writes, run it, save, write one `ReturnEvent`, and
send side effects on commit. A refusal raises a `ServiceError` whose text is meant for the person
who asked; the transaction rolls back, so nothing is half-written.
"""

import datetime as dt
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed, AlreadyActedError, ServiceError
from returns_desk.core.money import format_money
from returns_desk.orders.models import Order, OrderLine, Product
from returns_desk.policies import engine
from returns_desk.policies.models import ReasonCode
from returns_desk.policies.selectors import active_policy

from . import milestones, sla
from . import permissions as can
from .actions import ACTIONS
from .models import Resolution, ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest, ReturnStatus, SurveyResponse
from .signals import message_recorded, return_transitioned, transition_recorded

CONDITION_REFUSALS = {
    "no_open_dispute": "A payment dispute is open on this order; no refund can be sent until it is settled.",
    "has_refund_amount": "There is nothing to refund: no item was accepted at inspection.",
    "every_item_inspected": "Every item needs an inspection outcome first.",
    "returnless_allowed_by_policy": "The policy does not let the customer keep the item for a refund this large.",
}


def _when(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime(clock.now()).date():
        return f"{local:%H:%M}"
    return f"{local:%d %b %Y %H:%M}"


def _already_acted(rr: ReturnRequest, action: str) -> ActionNotAllowed:
    """Explain a transition that is not open from the current state: usually someone acted first."""
    state = rr.get_status_display()
    last = (
        rr.events.filter(kind=ReturnEvent.Kind.TRANSITION)
        .select_related("actor_user")
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None or last.transition not in ACTIONS:
        return ActionNotAllowed(
            f"{ACTIONS[action].label} is not possible while the return is {state}. Nothing was changed."
        )
    who, when = last.actor_label, _when(last.created_at)
    if last.transition == action:
        return AlreadyActedError(f"Already {ACTIONS[action].done} by {who} at {when}. Nothing was changed.")
    return AlreadyActedError(
        f"{ACTIONS[action].label} is no longer possible: the return is now {state} "
        f"({ACTIONS[last.transition].done} by {who} at {when}). Nothing was changed."
    )


def _forbidden(rr: ReturnRequest, action: str, permission, actor: Actor) -> ActionForbidden:
    if permission is can.refund_within_limit and can.staff(rr, actor):
        limit = can.refund_limit_for(actor.user)
        return ActionForbidden(
            f"A refund of {rr.refund_amount_display} is above your limit of {format_money(limit, rr.currency)}; "
            "ask a manager to approve it."
        )
    if permission is can.manager:
        return ActionForbidden(f"Only a manager can {ACTIONS[action].label.lower()}.")
    return ActionForbidden(f"You are not allowed to {ACTIONS[action].label.lower()} on this return.")


def lock_order_then_return(*, order_id: int, return_id: int) -> None:
    """The one lock order for money: the order's row, then the return's. Every service that moves money
    (and anything that later locks a refund) takes them this way, so no two ever deadlock."""
    Order.objects.select_for_update().filter(pk=order_id).values_list("pk", flat=True).get()
    ReturnRequest.objects.select_for_update().filter(pk=return_id).values_list("pk", flat=True).get()


def _lock(return_request: ReturnRequest, *, lock_order: bool) -> ReturnRequest:
    if lock_order:
        lock_order_then_return(order_id=return_request.order_id, return_id=return_request.pk)
    # `of=("self",)`: PostgreSQL would otherwise also lock the joined order, in an order of its choosing.
    locked = ReturnRequest.objects.select_for_update(of=("self",))
    if lock_order:
        locked = locked.select_related("order")  # money services read the order; others need not join it
    return locked.get(pk=return_request.pk)


def _restart_sla_clock(rr: ReturnRequest, *, from_state: str, now) -> None:
    current = sla.Clock(rr.sla_due_at, rr.sla_paused_seconds)
    targets = sla.Targets.from_policy(active_policy())
    after = sla.clock_after(to_state=rr.status, from_state=from_state, now=now, current=current, targets=targets)
    rr.sla_due_at, rr.sla_paused_seconds = after.due_at, after.paused_seconds


def _column_values(rr: ReturnRequest) -> dict[str, Any]:
    return {field.attname: getattr(rr, field.attname) for field in ReturnRequest._meta.concrete_fields}


def run_transition(
    *,
    return_request: ReturnRequest,
    action: str,
    by: Actor,
    prepare: Callable[[ReturnRequest], None] | None = None,
    settle: Callable[[ReturnRequest], Any] | None = None,
    apply: Callable[[ReturnRequest], Any] | None = None,
    body: str = "",
    data: dict | None = None,
    lock_order: bool = False,
) -> ReturnRequest:
    """Run one transition safely; every per-action service below is a thin wrapper of this one.

    Order of checks: source state, `prepare` (in-memory changes the permission depends on, such as
    an overridden amount), permission, `settle` (writes the conditions depend on, such as inspection
    results), conditions, then `apply` (writes that need the transition to be allowed: money).
    All of it runs inside one transaction, so a refusal at any step leaves nothing behind.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown transition {action!r}")
    with transaction.atomic():
        rr = _lock(return_request, lock_order=lock_order)
        method = getattr(rr, action)
        meta = method._django_fsm
        from_state = rr.status
        before = _column_values(rr)
        if not meta.has_transition(from_state):
            raise _already_acted(rr, action)
        spec = meta.get_transition(from_state)
        if prepare:
            prepare(rr)
        if not spec.has_perm(rr, by):
            raise _forbidden(rr, action, spec.permission, by)
        settled = settle(rr) if settle else None
        for condition in spec.conditions:
            if not condition(rr):
                raise ActionNotAllowed(
                    CONDITION_REFUSALS.get(condition.__name__, "The policy does not allow this now.")
                )
        applied = apply(rr) if apply else None
        extra = {**(settled or {}), **(applied or {})}
        method()
        now = clock.now()
        rr.status_changed_at = rr.updated_at = now
        _restart_sla_clock(rr, from_state=from_state, now=now)
        milestones.stamp(rr, action=action, to_state=rr.status, moment=now)
        after = _column_values(rr)
        rr.save(update_fields=[name for name, value in after.items() if before[name] != value])
        event = ReturnEvent.objects.create(
            return_request=rr,
            kind=ReturnEvent.Kind.TRANSITION,
            actor_kind=by.kind,
            actor_user=by.user if by.kind == Actor.STAFF else None,
            transition=action,
            from_state=from_state,
            to_state=rr.status,
            body=body,
            visible_to_customer=not ACTIONS[action].internal,
            data={**(data or {}), **({"result": extra} if extra else {})},
            created_at=now,
        )
        payload = {
            "return_id": rr.pk,
            "transition": action,
            "from_state": from_state,
            "to_state": rr.status,
            "event_id": event.pk,
        }
        transition_recorded.send(sender=ReturnRequest, return_request=rr, transition=action, event=event)
        transaction.on_commit(lambda: return_transitioned.send(sender=ReturnRequest, **payload))
    return rr


def _required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError(f"Please give {what}.")
    return text


# --- creating a return and talking about it ---------------------------------------------------------


@dataclass(frozen=True)
class RequestedItem:
    order_line_id: int
    quantity: int
    reason_code: str
    description: str = ""
    photos: tuple[str, ...] = ()  # storage names from `photos.stage_uploads`
    exchange_product_id: int | None = None  # the size or colour wanted, for an exchange


@dataclass(frozen=True)
class RequestPlan:
    """What a request would become: the same figures on the customer's review page and in the record."""

    quote: engine.Quote
    returnless: bool


def line_facts(line: OrderLine, *, already_returned: int = 0) -> engine.LineFacts:
    return engine.LineFacts(
        line_id=line.pk,
        title=line.title,
        category=line.category,
        unit_price=line.unit_price,
        quantity=line.quantity,
        final_sale=line.final_sale,
        already_returned_quantity=already_returned,
    )


def line_facts_for_order(order: Order, *, exclude_return_id: int | None = None) -> dict[int, engine.LineFacts]:
    """Each line of the order with the quantity already taken by other live returns (not `exclude_return_id`)."""
    from .models import OPEN_STATUSES

    live = list(OPEN_STATUSES | {ReturnStatus.RESOLVED, ReturnStatus.CLOSED})
    taken_qs = ReturnItem.objects.filter(order_line__order=order, return_request__status__in=live).exclude(
        outcome__in=[ReturnItem.Outcome.REJECTED, ReturnItem.Outcome.MISSING, ReturnItem.Outcome.WRONG_ITEM]
    )
    if exclude_return_id is not None:
        taken_qs = taken_qs.exclude(return_request_id=exclude_return_id)
    taken = dict(taken_qs.values("order_line_id").annotate(q=Sum("quantity")).values_list("order_line_id", "q"))
    return {line.pk: line_facts(line, already_returned=taken.get(line.pk, 0)) for line in order.lines.all()}


def order_facts(order: Order) -> engine.OrderFacts:
    from returns_desk.payments.selectors import refunded_total_for_order

    return engine.OrderFacts(
        currency=order.currency,
        delivered_on=timezone.localdate(order.delivered_at) if order.delivered_at else None,
        amount_paid=order.amount_paid,
        already_refunded=refunded_total_for_order(order.pk),
    )


def exchange_options(lines: Sequence[OrderLine]) -> dict[int, list[Product]]:
    """For each line, the in-stock sizes and colours of the same style (the same SKU included)."""
    styles = {line.product.style for line in lines if line.product_id and line.product.style}
    in_stock = Product.objects.filter(style__in=styles, stock__gt=0).order_by("sku") if styles else []
    by_style: dict[str, list[Product]] = {}
    for product in in_stock:
        by_style.setdefault(product.style, []).append(product)
    return {
        line.pk: by_style.get(line.product.style, []) if line.product_id and line.product.style else []
        for line in lines
    }


def plan_request(
    *,
    order: Order,
    items: Sequence[RequestedItem],
    resolution: str,
    reasons: dict[str, ReasonCode],
    facts: dict[int, engine.LineFacts] | None = None,
    ofacts: engine.OrderFacts | None = None,
) -> RequestPlan:
    """Check a request against the policy and price it; raises `ServiceError` with words for the customer."""
    if not items:
        raise ServiceError("Choose at least one item to return.")
    if resolution not in Resolution.values:
        raise ServiceError("Choose refund, store credit or exchange.")
    if len({i.order_line_id for i in items}) != len(items):
        raise ServiceError("Each item can appear only once in a return.")
    terms = active_policy().terms()
    facts = facts if facts is not None else line_facts_for_order(order)
    ofacts = ofacts if ofacts is not None else order_facts(order)
    today = clock.today()
    quote_items = []
    for item in items:
        line = facts.get(item.order_line_id)
        if line is None:
            raise ServiceError("That item is not part of this order.")
        reason = reasons.get(item.reason_code)
        if reason is None:
            raise ServiceError(f"Choose a reason for returning {line.title}.")
        verdict = engine.evaluate_line(line, ofacts, terms, today)
        if not verdict.eligible:
            raise ServiceError(f"{line.title}: {' '.join(verdict.reasons)}")
        if not 1 <= item.quantity <= verdict.returnable_quantity:
            raise ServiceError(f"{line.title}: you can return between 1 and {verdict.returnable_quantity}.")
        quote_items.append(engine.QuoteItem(line, item.quantity, reason.customer_pays, reason.label))
    quote = engine.quote_return(quote_items, ofacts, terms, resolution=resolution)
    if resolution == Resolution.REFUND:
        kept = engine.quote_return(quote_items, ofacts, terms, resolution=resolution, returnless=True)
        if engine.returnless_allowed(kept, terms):
            return RequestPlan(quote=kept, returnless=True)
    return RequestPlan(quote=quote, returnless=False)


def _check_exchange_choices(order: Order, items: Sequence[RequestedItem]) -> None:
    """Each wanted product must be a size or colour of the returned line's style and in stock now. (With no
    choice made, as when the desk opens a return, the VA picks the replacement when shipping it.)"""
    items = [i for i in items if i.exchange_product_id is not None]
    lines = {line.pk: line for line in order.lines.select_related("product")}
    options = exchange_options([lines[i.order_line_id] for i in items])
    for item in items:
        offered = {p.pk: p for p in options[item.order_line_id]}
        wanted = offered.get(item.exchange_product_id)
        if wanted is None:
            title = lines[item.order_line_id].title
            raise ServiceError(f"The size or colour chosen for {title} is not available any more; choose again.")
        if wanted.stock < item.quantity:
            raise ServiceError(f"Only {wanted.stock} of {wanted.title} in stock; choose another or fewer.")


def return_create(
    *,
    order: Order,
    items: Sequence[RequestedItem],
    resolution: str = Resolution.REFUND,
    by: Actor,
    note: str = "",
    submission_key: str | None = None,
) -> ReturnRequest:
    """Open a return for some lines of an order, after checking each against the policy.

    `submission_key` makes a confirm idempotent: the same key (a double click, a resent form) returns the
    return it already opened instead of opening another.
    """
    from .photos import is_staged_name

    policy = active_policy()
    reasons = {r.code: r for r in ReasonCode.objects.filter(code__in={i.reason_code for i in items}, is_active=True)}
    if any(not is_staged_name(name) for i in items for name in i.photos):
        raise ServiceError("A photo could not be found; please add it again.")
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk", flat=True).get()
        if submission_key and (done := ReturnRequest.objects.filter(submission_key=submission_key).first()):
            return done  # seen after the order's lock, so two confirms of one draft cannot both get here
        plan = plan_request(order=order, items=items, resolution=resolution, reasons=reasons)
        if resolution == Resolution.EXCHANGE:
            _check_exchange_choices(order, items)
        quote = plan.quote
        now = clock.now()
        rr = ReturnRequest.objects.create(
            rma_number=f"new-{secrets.token_hex(6)}",  # unique placeholder until the pk gives the real number
            order=order,
            email=order.email,
            customer_name=order.customer_name,
            resolution=resolution,
            returnless=plan.returnless,
            submission_key=submission_key or None,
            sla_due_at=now + dt.timedelta(hours=policy.sla_first_response_hours),
            currency=order.currency,
            quoted_amount=quote.total,
            created_at=now,
            updated_at=now,
            status_changed_at=now,
        )
        rr.rma_number = rma_for(rr.pk)
        ReturnRequest.objects.filter(pk=rr.pk).update(rma_number=rr.rma_number)
        created = ReturnItem.objects.bulk_create(
            ReturnItem(
                return_request=rr,
                order_line_id=i.order_line_id,
                quantity=i.quantity,
                reason=reasons[i.reason_code],
                condition_description=i.description.strip(),
                exchange_product_id=i.exchange_product_id if resolution == Resolution.EXCHANGE else None,
            )
            for i in items
        )
        if any(i.photos for i in items):
            if created[0].pk is None:  # backends that do not return ids from a bulk insert
                created = list(rr.items.order_by("id"))
            ReturnPhoto.objects.bulk_create(
                ReturnPhoto(item=item, image=name, uploaded_at=now)
                for item, wanted in zip(created, items, strict=True)
                for name in wanted.photos
            )
        opened = ReturnEvent.objects.create(
            return_request=rr,
            kind=ReturnEvent.Kind.TRANSITION,
            actor_kind=by.kind,
            actor_user=by.user if by.kind == Actor.STAFF else None,
            transition="",
            to_state=rr.status,
            body=note.strip(),
            visible_to_customer=True,
            created_at=now,
            data={"quote_total": quote.total, "resolution": resolution, "returnless": plan.returnless},
        )
        transition_recorded.send(sender=ReturnRequest, return_request=rr, transition="", event=opened)
        payload = {"return_id": rr.pk, "transition": "", "from_state": "", "to_state": rr.status, "event_id": opened.pk}
        transaction.on_commit(lambda: return_transitioned.send(sender=ReturnRequest, **payload))
        from returns_desk.desk.selectors import customer_standing

        standing = customer_standing(order.email, count_returns=policy.auto_approve)
        approve, held_because = standing.auto_approval(policy.auto_approve)
        if approve:
            rr = run_transition(
                return_request=rr,
                action="approve",
                by=Actor.system(),
                body="Approved automatically by the return policy.",
            )
        elif held_because:
            return_record_event(return_request=rr, kind=ReturnEvent.Kind.NOTE, by=Actor.system(), body=held_because)
    return rr


def rma_for(pk: int) -> str:
    return f"RMA-{pk:06d}"


def return_record_event(
    *,
    return_request: ReturnRequest,
    kind: str,
    by: Actor,
    body: str,
    visible_to_customer: bool = False,
    data: dict | None = None,
) -> ReturnEvent:
    """Append one non-transition entry (message, note, refund or dispute news) to the return's timeline."""
    return ReturnEvent.objects.create(
        return_request=return_request,
        kind=kind,
        actor_kind=by.kind,
        actor_user=by.user if by.kind == Actor.STAFF else None,
        body=body,
        visible_to_customer=visible_to_customer,
        data=data or {},
        created_at=clock.now(),
    )


def return_add_message(*, return_request: ReturnRequest, by: Actor, body: str) -> ReturnEvent:
    """A message the customer sees (from staff: also emailed to them) or the desk reads (from the customer)."""
    body = _required(body, "a message")
    if by.kind == Actor.STAFF and not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can write to the customer.")
    with transaction.atomic():
        event = return_record_event(
            return_request=return_request, kind=ReturnEvent.Kind.MESSAGE, by=by, body=body, visible_to_customer=True
        )
        if by.kind == Actor.STAFF:
            message_recorded.send(sender=ReturnRequest, return_request=return_request, event=event)
    return event


def return_add_note(*, return_request: ReturnRequest, by: Actor, body: str) -> ReturnEvent:
    """An internal note: staff only, never shown to the customer."""
    if not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can add internal notes.")
    return return_record_event(
        return_request=return_request, kind=ReturnEvent.Kind.NOTE, by=by, body=_required(body, "the note")
    )


def return_customer_reply(*, return_request: ReturnRequest, body: str) -> ReturnRequest:
    """The customer writes to the desk. An answer to the desk's question moves the return back to the desk."""
    body = _required(body, "a message")
    if return_request.status == ReturnStatus.NEEDS_INFO:
        try:
            return return_info_received(return_request=return_request, by=Actor.customer(), message=body)
        except AlreadyActedError:
            pass  # a VA moved it on meanwhile; the message still reaches the desk
    return_add_message(return_request=return_request, by=Actor.customer(), body=body)
    return return_request


def return_add_photos(*, return_request: ReturnRequest, item_id: int, uploads: Sequence, by: Actor) -> list:
    """Attach more photos to one item of the return: all of them or, if any is refused, none."""
    from .photos import stage_uploads

    if not return_request.is_open:
        raise ServiceError("This return is finished, so photos can no longer be added.")
    item = return_request.items.filter(pk=item_id).first()
    if item is None:
        raise ServiceError("Choose one of the items in this return.")
    if not uploads:
        raise ServiceError("Choose at least one photo.")
    names = stage_uploads(uploads, already=item.photos.count())
    now = clock.now()
    with transaction.atomic():
        photos = ReturnPhoto.objects.bulk_create(ReturnPhoto(item=item, image=name, uploaded_at=now) for name in names)
        return_record_event(
            return_request=return_request,
            kind=ReturnEvent.Kind.MESSAGE,
            by=by,
            body=f"Added {len(names)} photo{'s' if len(names) != 1 else ''} of {item.order_line.title}.",
            visible_to_customer=True,
            data={"photos": names, "item_id": item.pk},
        )
    return photos


SURVEY_OPEN_STATUSES = frozenset({ReturnStatus.RESOLVED, ReturnStatus.CLOSED})


def return_record_survey(*, return_request: ReturnRequest, score: int, comment: str = "") -> SurveyResponse:
    """The customer's rating, once the return is resolved, and only once."""
    from django.db import IntegrityError

    if return_request.status not in SURVEY_OPEN_STATUSES:
        raise ServiceError("You can rate the service once your return is complete.")
    if not 1 <= score <= 5:
        raise ServiceError("Choose a rating from 1 to 5.")
    try:
        with transaction.atomic():
            return SurveyResponse.objects.create(
                return_request=return_request, score=score, comment=comment.strip(), created_at=clock.now()
            )
    except IntegrityError as error:
        raise AlreadyActedError("You have already rated this return. Thank you!") from error


def return_raise_priority(*, return_request: ReturnRequest, priority: int) -> None:
    """Escalate (never lower) a return's priority, e.g. when a chargeback arrives."""
    ReturnRequest.objects.filter(pk=return_request.pk, priority__lt=priority).update(priority=priority)


# --- who works a return ------------------------------------------------------------------------------


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def return_assign(*, return_request: ReturnRequest, assignee, by: Actor, claim: bool = False) -> ReturnRequest:
    """Give a return to a VA, or to nobody (`assignee=None`); a claim is taking it for oneself.

    A claim is refused when someone else took the return first (the second VA learns who, and when);
    an explicit assignment may move it on. Either writes one internal timeline entry.
    """
    if not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can assign returns.")
    if assignee is not None and not can.is_agent(assignee):
        raise ServiceError(f"{_person(assignee)} is not on the returns desk.")
    with transaction.atomic():
        rr = _lock(return_request, lock_order=False)
        if rr.assignee_id == (assignee.pk if assignee else None):
            return rr  # already so: nothing to record
        if claim and rr.assignee_id is not None:
            last = rr.events.filter(kind=ReturnEvent.Kind.ASSIGNMENT).order_by("-created_at", "-id").first()
            when = f" at {_when(last.created_at)}" if last else ""
            raise AlreadyActedError(f"Already claimed by {_person(rr.assignee)}{when}. Nothing was changed.")
        if claim and not rr.is_open:
            raise ActionNotAllowed(f"This return is {rr.get_status_display().lower()}; there is nothing to claim.")
        previous = rr.assignee
        rr.assignee = assignee
        rr.updated_at = clock.now()
        rr.save(update_fields=["assignee", "updated_at"])
        if assignee is None:
            body = f"Unassigned (was {_person(previous)})."
        elif claim or (by.user and assignee.pk == by.user.pk):
            body = f"Claimed by {_person(assignee)}."
        else:
            body = f"Assigned to {_person(assignee)}" + (f" (was {_person(previous)})." if previous else ".")
        return_record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.ASSIGNMENT,
            by=by,
            body=body,
            data={"assignee_id": assignee.pk if assignee else None, "previous_id": previous.pk if previous else None},
        )
    return rr


def return_claim(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return return_assign(return_request=return_request, assignee=by.user, by=by, claim=True)


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


# --- one service per transition ---------------------------------------------------------------------


def return_request_info(*, return_request: ReturnRequest, by: Actor, question: str) -> ReturnRequest:
    question = _required(question, "the question for the customer")
    return run_transition(return_request=return_request, action="request_info", by=by, body=question)


def return_info_received(*, return_request: ReturnRequest, by: Actor, message: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="info_received", by=by, body=message.strip())


def return_approve(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return run_transition(return_request=return_request, action="approve", by=by)


def return_reject(*, return_request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    reason = _required(reason, "a reason the customer will see")

    def apply(rr: ReturnRequest) -> None:
        rr.rejection_reason = reason

    return run_transition(return_request=return_request, action="reject", by=by, apply=apply, body=reason)


def return_cancel(*, return_request: ReturnRequest, by: Actor, reason: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="cancel", by=by, body=reason.strip())


def return_expire(*, return_request: ReturnRequest) -> ReturnRequest:
    return run_transition(
        return_request=return_request,
        action="expire",
        by=Actor.system(),
        body="The parcel was not shipped within the time the policy allows.",
    )


def return_mark_in_transit(
    *, return_request: ReturnRequest, by: Actor, carrier: str, tracking_number: str
) -> ReturnRequest:
    tracking_number = _required(tracking_number, "the tracking number")
    carrier = carrier.strip()

    def apply(rr: ReturnRequest) -> None:
        rr.tracking_carrier, rr.tracking_number = carrier, tracking_number

    return run_transition(
        return_request=return_request,
        action="mark_in_transit",
        by=by,
        apply=apply,
        body=f"{carrier} {tracking_number}".strip(),
        data={"carrier": carrier, "tracking_number": tracking_number},
    )


def return_receive(*, return_request: ReturnRequest, by: Actor, note: str = "") -> ReturnRequest:
    return run_transition(return_request=return_request, action="receive", by=by, body=note.strip())


@dataclass(frozen=True)
class ItemInspection:
    item_id: int
    outcome: str
    grade: str = ""
    disposition: str = ""
    note: str = ""


def return_inspect(*, return_request: ReturnRequest, by: Actor, results: Sequence[ItemInspection]) -> ReturnRequest:
    """Record each item's grade and outcome, restock what is restocked, and settle the refund amount."""
    by_item = {r.item_id: r for r in results}

    def apply(rr: ReturnRequest) -> dict:
        items = list(rr.items.select_related("order_line", "reason"))
        missing = [str(i) for i in items if i.pk not in by_item]
        if missing or len(by_item) != len(items):
            raise ServiceError("Record an outcome for every item in the parcel, and only those.")
        accepted = []
        restock: dict[int, int] = {}
        for item in items:
            result = by_item[item.pk]
            if result.outcome not in ReturnItem.Outcome.values:
                raise ServiceError(f"Choose an outcome for {item.order_line.title}.")
            if result.grade and result.grade not in ReturnItem.Grade.values:
                raise ServiceError(f"Unknown grade for {item.order_line.title}.")
            if result.disposition and result.disposition not in ReturnItem.Disposition.values:
                raise ServiceError(f"Unknown disposition for {item.order_line.title}.")
            if result.outcome == ReturnItem.Outcome.ACCEPTED and not result.disposition:
                raise ServiceError(f"Say what happens to {item.order_line.title}: restock, dispose or vendor.")
            item.outcome, item.grade, item.disposition = result.outcome, result.grade, result.disposition
            item.inspection_note = result.note.strip()
            if item.outcome == ReturnItem.Outcome.ACCEPTED:
                accepted.append(item)
                if item.disposition == ReturnItem.Disposition.RESTOCK and item.order_line.product_id:
                    restock[item.order_line.product_id] = restock.get(item.order_line.product_id, 0) + item.quantity
        quote = quote_for_items(rr, accepted)
        per_item = {i.pk: i.order_line.unit_price * i.quantity for i in accepted}
        for item in items:
            item.refundable_amount = per_item.get(item.pk, 0)
        ReturnItem.objects.bulk_update(
            items, ["outcome", "grade", "disposition", "inspection_note", "refundable_amount"]
        )
        for product_id, quantity in sorted(restock.items()):
            Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        rr.refund_amount = quote.total
        return {"refund_amount": quote.total, "restocked": {str(k): v for k, v in restock.items()}}

    return run_transition(return_request=return_request, action="inspect", by=by, settle=apply)


def quote_for_items(rr: ReturnRequest, items: Sequence[ReturnItem], *, returnless: bool = False) -> engine.Quote:
    """The quote for some of a return's items, with the same engine and figures the customer saw."""
    terms = active_policy().terms()
    # A quote prices the items in hand; quantities already returned matter to eligibility, not here.
    quote_items = [
        engine.QuoteItem(line_facts(i.order_line), i.quantity, i.reason.customer_pays, i.reason.label) for i in items
    ]
    return engine.quote_return(
        quote_items, order_facts(rr.order), terms, resolution=rr.resolution, returnless=returnless
    )


def _override_amount(amount: int | None, override_reason: str) -> Callable[[ReturnRequest], None]:
    def prepare(rr: ReturnRequest) -> None:
        if amount is not None and amount != rr.refund_amount:
            if amount <= 0:
                raise ServiceError("A refund must be more than zero.")
            if not override_reason.strip():
                raise ServiceError("Say why the refund differs from the inspected amount.")
            rr.refund_amount = amount

    return prepare


def return_request_refund_approval(
    *, return_request: ReturnRequest, by: Actor, note: str = "", amount: int | None = None, override_reason: str = ""
) -> ReturnRequest:
    """Ask a manager to approve a refund above the VA's limit (with the amount the VA proposes)."""
    body = " ".join(part for part in (note.strip(), override_reason.strip()) if part)
    return run_transition(
        return_request=return_request,
        action="request_refund_approval",
        by=by,
        prepare=_override_amount(amount, override_reason),
        body=body,
    )


def return_deny_refund(*, return_request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    reason = _required(reason, "a reason for the VA")
    return run_transition(return_request=return_request, action="deny_refund", by=by, body=reason)


def _refund_step(by: Actor, *, reference: str = "") -> Callable[[ReturnRequest], dict]:
    def apply(rr: ReturnRequest) -> dict:
        from returns_desk.payments.services import refund_record_for_return

        refund = refund_record_for_return(return_request=rr, by=by, reference=reference)
        return {"refund_id": refund.pk, "idempotency_key": refund.idempotency_key, "amount": refund.amount}

    return apply


def return_issue_refund(
    *,
    return_request: ReturnRequest,
    by: Actor,
    amount: int | None = None,
    override_reason: str = "",
    reference: str = "",
) -> ReturnRequest:
    """Send the refund (within the VA's limit); an amount other than the inspected one needs a reason."""

    return run_transition(
        return_request=return_request,
        action="issue_refund",
        by=by,
        prepare=_override_amount(amount, override_reason),
        apply=_refund_step(by, reference=reference),
        body=override_reason.strip(),
        lock_order=True,
    )


def return_approve_refund(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    return run_transition(
        return_request=return_request,
        action="approve_refund",
        by=by,
        apply=_refund_step(by, reference=reference),
        lock_order=True,
    )


def return_retry_refund(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    return run_transition(
        return_request=return_request,
        action="retry_refund",
        by=by,
        apply=_refund_step(by, reference=reference),
        lock_order=True,
    )


def return_refund_without_return(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    """Refund now and let the customer keep the item, when the policy's threshold allows it."""

    def prepare(rr: ReturnRequest) -> None:
        quote = quote_for_items(rr, list(rr.items.select_related("reason")), returnless=True)
        rr.returnless, rr.refund_amount = True, quote.total

    return run_transition(
        return_request=return_request,
        action="refund_without_return",
        by=by,
        prepare=prepare,
        apply=_refund_step(by, reference=reference),
        lock_order=True,
    )


def return_issue_store_credit(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    def apply(rr: ReturnRequest) -> dict:
        from returns_desk.payments.services import store_credit_issue_for_return

        entry = store_credit_issue_for_return(return_request=rr, by=by)
        return {"store_credit_code": entry.code, "amount": entry.amount}

    return run_transition(
        return_request=return_request, action="issue_store_credit", by=by, apply=apply, lock_order=True
    )


def return_ship_exchange(
    *,
    return_request: ReturnRequest,
    by: Actor,
    carrier: str,
    tracking_number: str,
    replacement_skus: dict[int, str] | None = None,
) -> ReturnRequest:
    """Ship replacements as a zero-priced order: each accepted item's own SKU unless another size or
    colour was chosen (`replacement_skus`: return item id -> SKU). Stock is taken, never below zero."""
    from returns_desk.orders.services import order_create_replacement

    tracking_number = _required(tracking_number, "the tracking number of the replacement")
    carrier = carrier.strip()
    chosen = replacement_skus or {}

    def apply(rr: ReturnRequest) -> dict:
        accepted = rr.items.select_related("order_line", "exchange_product")
        items = [i for i in accepted if i.outcome == ReturnItem.Outcome.ACCEPTED]
        if not items:
            raise ServiceError("No item was accepted at inspection, so there is nothing to exchange.")
        unknown = set(chosen) - {i.pk for i in items}
        if unknown:
            raise ServiceError("Replacements can only be chosen for this return's accepted items.")
        # The VA's choice first, then the customer's, then the same SKU again.
        wanted = [
            (chosen.get(i.pk) or (i.exchange_product.sku if i.exchange_product else i.order_line.sku), i.quantity)
            for i in items
        ]
        replacement = order_create_replacement(
            original=rr.order,
            items=wanted,
            number=f"{rr.order.number}-X{rr.pk}",
            carrier=carrier,
            tracking_number=tracking_number,
        )
        rr.exchange_order = replacement
        return {"exchange_order": replacement.number, "skus": [sku for sku, _ in wanted]}

    return run_transition(
        return_request=return_request,
        action="ship_exchange",
        by=by,
        apply=apply,
        lock_order=True,
        body=f"Replacement shipped: {carrier} {tracking_number}".strip(),
        data={"carrier": carrier, "tracking_number": tracking_number},
    )


def return_close(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return run_transition(return_request=return_request, action="close", by=by)
