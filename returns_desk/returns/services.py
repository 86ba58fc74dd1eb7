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
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy

from . import milestones, sla
from . import permissions as can
from .actions import ACTIONS
from .auto_approval import customer_standing
from .models import (
    MoneyOutcome,
    Resolution,
    ReturnEvent,
    ReturnItem,
    ReturnPhoto,
    ReturnRequest,
    ReturnStatus,
    SurveyResponse,
)
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
    body: str | Callable[[], str] = "",
    customer_body: str | Callable[[], str] = "",
    data: dict | None = None,
    lock_order: bool = False,
) -> ReturnRequest:
    """Run one transition safely; every per-action service below is a thin wrapper of this one.

    Order of checks: source state, `prepare` (in-memory changes the permission depends on, such as
    an overridden amount), permission, `settle` (writes the conditions depend on, such as inspection
    results), conditions, then `apply` (writes that need the transition to be allowed: money).
    All of it runs inside one transaction, so a refusal at any step leaves nothing behind. `body` may
    be a callable, for an event whose words depend on what `apply` decided. `customer_body` is what the
    customer reads instead (never a provider's raw error or a VA's limit); giving one shows the event to them.
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
        told = customer_body() if callable(customer_body) else customer_body
        event = ReturnEvent.objects.create(
            return_request=rr,
            kind=ReturnEvent.Kind.TRANSITION,
            actor_kind=by.kind,
            actor_user=by.user if by.kind == Actor.STAFF else None,
            transition=action,
            from_state=from_state,
            to_state=rr.status,
            body=body() if callable(body) else body,
            visible_to_customer=bool(told) or not ACTIONS[action].internal,
            data={**(data or {}), **({"result": extra} if extra else {}), **({"customer_body": told} if told else {})},
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


def order_facts(order: Order, *, given_back: int | None = None) -> engine.OrderFacts:
    """The order as the policy engine sees it; a quote is capped by all the order already gave back
    (refunds, store credit, replacements, chargebacks), as the money rule counts it."""
    from returns_desk.payments.money_rule import order_given_back

    return engine.OrderFacts(
        currency=order.currency,
        delivered_on=timezone.localdate(order.delivered_at) if order.delivered_at else None,
        amount_paid=order.amount_paid,
        already_refunded=order_given_back(order) if given_back is None else given_back,
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
            terms=QuotedTerms.from_policy(policy, reasons.values()).as_json(),
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
    """Escalate (never lower) a return's priority, e.g. when a chargeback arrives; the caller writes the news."""
    ReturnRequest.objects.filter(pk=return_request.pk, priority__lt=priority).update(priority=priority)


def return_set_priority(
    *, return_request: ReturnRequest, priority: int, by: Actor, note: str = "", data: dict | None = None
) -> bool:
    """Change a return's priority with the change on the timeline, both in one transaction (staff in admin, or
    the SLA escalation). Returns whether anything changed."""
    from .models import Priority

    if priority not in Priority.values:
        raise ServiceError("Choose a priority: low, normal, high or urgent.")
    if by.kind == Actor.STAFF and not can.staff(return_request, by):
        raise ActionForbidden("Only desk staff can change a return's priority.")
    with transaction.atomic():
        rr = _lock(return_request, lock_order=False)
        if rr.priority == priority:
            return False
        before = rr.get_priority_display()
        rr.priority = priority
        rr.updated_at = clock.now()
        rr.save(update_fields=["priority", "updated_at"])
        body = f"Priority {before.lower()} → {rr.get_priority_display().lower()}."
        return_record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.NOTE,
            by=by,
            body=f"{note} {body}".strip() if note else body,
            data={"priority": priority, **(data or {})},
        )
    return_request.priority = priority
    return True


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
        settled = settlement_of(quote)
        per_item = {i.pk: i.order_line.unit_price * i.quantity for i in accepted}
        for item in items:
            item.refundable_amount = per_item.get(item.pk, 0)
        ReturnItem.objects.bulk_update(
            items, ["outcome", "grade", "disposition", "inspection_note", "refundable_amount"]
        )
        for product_id, quantity in sorted(restock.items()):
            Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity)
        rr.refund_amount = settled
        return {"refund_amount": settled, "restocked": {str(k): v for k, v in restock.items()}}

    return run_transition(return_request=return_request, action="inspect", by=by, settle=apply)


def quote_for_items(rr: ReturnRequest, items: Sequence[ReturnItem], *, returnless: bool = False) -> engine.Quote:
    """The quote for some of a return's items, with the terms and engine the customer was quoted with."""
    quoted = rr.quoted_terms()
    # A quote prices the items in hand; quantities already returned matter to eligibility, not here.
    quote_items = [
        engine.QuoteItem(line_facts(i.order_line), i.quantity, quoted.customer_pays_for(i.reason), i.reason.label)
        for i in items
    ]
    return engine.quote_return(
        quote_items, order_facts(rr.order), quoted.terms, resolution=rr.resolution, returnless=returnless
    )


def settlement_of(quote: engine.Quote) -> int:
    """The return's money as settled: the quote without the store credit bonus, which is added (and
    accounted apart) only when credit is issued."""
    return quote.total - min(quote.store_credit_bonus, quote.total)


# --- money: every outcome through payments' gate, above the VA's limit through a manager ----------------


def _person_and_limit(decision: dict, by: Actor, currency: str) -> str:
    who = _person(by.user) if by.kind == Actor.STAFF and by.user else by.kind.capitalize()
    limit = decision.get("limit")
    if limit is None:
        return f"by {who} (no limit applies)"
    return f"by {who} (within the limit of {format_money(limit, currency)})"


def _decision_body(
    what: str, amount: int, decision: dict, by: Actor, rr: ReturnRequest, reason: str = "", extra: str = ""
) -> str:
    """Who gave back what, under which limit, and what remained: the money decision in words. `what` ends with
    its verb: "Refund sent" reads "Refund of $40.00 sent by Ana (within the limit of $200.00); …"."""
    noun, _, verb = what.rpartition(" ")
    body = (
        f"{noun} of {format_money(amount, rr.currency)}{extra} {verb} {_person_and_limit(decision, by, rr.currency)}; "
        f"{format_money(decision['remaining_before'], rr.currency)} remained refundable."
    )
    settled = rr.refund_amount
    if settled is not None and amount != settled and noun != "Exchange":
        body += f" Settled at inspection: {format_money(settled, rr.currency)}."
    return f"{body} Reason: {reason}" if reason else body


def _checked_override(rr: ReturnRequest, amount: int | None, reason: str, default: int) -> int:
    """The amount a person typed, or the settlement; a different figure needs a reason."""
    if amount is None:
        return default
    if amount <= 0:
        raise ServiceError("The amount must be more than zero.")
    if amount != default and not reason.strip():
        raise ServiceError(f"Say why the amount differs from the settlement of {format_money(default, rr.currency)}.")
    return amount


def _last_refund_amount(rr: ReturnRequest) -> int:
    last = rr.refunds.order_by("-attempt").values_list("amount", flat=True).first()
    return last if last is not None else (rr.refund_amount or 0)


def _refund_apply(by: Actor, *, amount_of: Callable[[ReturnRequest], int], reason: str = "", reference: str = ""):
    """Record the refund, with the figures and the decision in words on the transition's event."""
    from returns_desk.payments.services import refund_record_for_return

    def apply(rr: ReturnRequest) -> dict:
        amount = amount_of(rr)
        refund, decision = refund_record_for_return(return_request=rr, by=by, amount=amount, reference=reference)
        manual = refund.provider == "manual"
        apply.body = _decision_body("Refund recorded" if manual else "Refund sent", amount, decision, by, rr, reason)
        by_when = f"{refund.expected_by:%d %B %Y}"
        apply.customer = (
            f"We refunded {refund.amount_display} (payment reference {refund.provider_refund_id}); "
            f"you should see it by {by_when}."
            if manual
            else f"We sent a refund of {refund.amount_display} to your original payment method; "
            f"you should see it by {by_when}."
        )
        return {"money": {"outcome": "refund", **decision}, "refund_id": refund.pk, "amount": amount}

    apply.body = apply.customer = ""
    return apply


def _run_money(rr, action, by, apply, *, prepare=None, data=None) -> ReturnRequest:
    """A money transition: the order is locked first, and the event's text is the decision `apply` made."""
    return run_transition(
        return_request=rr,
        action=action,
        by=by,
        prepare=prepare,
        apply=apply,
        lock_order=True,
        data=data,
        body=lambda: apply.body,
        customer_body=lambda: apply.customer,
    )


def return_issue_refund(
    *,
    return_request: ReturnRequest,
    by: Actor,
    amount: int | None = None,
    override_reason: str = "",
    reference: str = "",
) -> ReturnRequest:
    """Send the refund (within the VA's limit and the money rule); a figure other than the settlement needs a
    reason. The settlement itself is never changed."""

    def amount_of(rr: ReturnRequest) -> int:
        return _checked_override(rr, amount, override_reason, rr.refund_amount or 0)

    apply = _refund_apply(by, amount_of=amount_of, reason=override_reason.strip(), reference=reference)
    return _run_money(return_request, "issue_refund", by, apply)


def return_retry_refund(
    *, return_request: ReturnRequest, by: Actor, amount: int | None = None, reason: str = "", reference: str = ""
) -> ReturnRequest:
    """A new refund attempt after a failure: the same amount as the failed one by default, the same rule, the
    same limit (a manager-approved amount above the VA's limit goes back to a manager)."""

    def amount_of(rr: ReturnRequest) -> int:
        return _checked_override(rr, amount, reason, _last_refund_amount(rr))

    apply = _refund_apply(by, amount_of=amount_of, reason=reason.strip(), reference=reference)
    return _run_money(return_request, "retry_refund", by, apply)


def return_refund_without_return(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    """Refund now and let the customer keep the item, when the quoted terms' threshold allows it."""

    def prepare(rr: ReturnRequest) -> None:
        quote = quote_for_items(rr, list(rr.items.select_related("reason", "order_line")), returnless=True)
        rr.returnless, rr.refund_amount = True, settlement_of(quote)

    apply = _refund_apply(by, amount_of=lambda rr: rr.refund_amount or 0, reference=reference)
    return _run_money(return_request, "refund_without_return", by, apply, prepare=prepare)


def return_issue_store_credit(
    *, return_request: ReturnRequest, by: Actor, amount: int | None = None, reason: str = ""
) -> ReturnRequest:
    """Store credit for the settlement (or a figure given with a reason), plus the quoted terms' bonus."""

    def base_of(rr: ReturnRequest) -> int:
        return _checked_override(rr, amount, reason, rr.refund_amount or 0)

    apply = _credit_apply(by, base_of=base_of, reason=reason.strip())
    return _run_money(return_request, "issue_store_credit", by, apply)


def _credit_apply(by: Actor, *, base_of: Callable[[ReturnRequest], int], reason: str = ""):
    """Issue the credit, with the figures and the decision in words on the transition's event."""
    from returns_desk.payments.services import store_credit_issue_for_return

    def apply(rr: ReturnRequest) -> dict:
        base = base_of(rr)
        entry, decision = store_credit_issue_for_return(return_request=rr, by=by, base=base)
        bonus = f" plus a bonus of {format_money(entry.bonus, rr.currency)}" if entry.bonus else ""
        apply.body = _decision_body("Store credit issued", base, decision, by, rr, reason, f"{bonus} ({entry.code})")
        apply.customer = _credit_words(entry)
        return {
            "money": {"outcome": "store_credit", **decision},
            "store_credit_code": entry.code,
            "amount": entry.amount,
            "bonus": entry.bonus,
        }

    apply.body = apply.customer = ""
    return apply


def _credit_words(entry) -> str:
    until = f", valid until {entry.expires_on:%d %B %Y}" if entry.expires_on else ""
    return f"Store credit of {entry.amount_display} issued: code {entry.code}{until}."


@dataclass(frozen=True)
class Replacement:
    sku: str
    quantity: int
    value: int  # what it is worth to the money rule


def _replacements(rr: ReturnRequest, chosen: dict[int, str]) -> list[Replacement]:
    """The VA's choice first, then the customer's, then the same SKU again; each valued for the money rule:
    like for like at what was paid for the line, another size or colour at its price today."""
    accepted = rr.items.select_related("order_line", "exchange_product")
    items = [i for i in accepted if i.outcome == ReturnItem.Outcome.ACCEPTED]
    if not items:
        raise ServiceError("No item was accepted at inspection, so there is nothing to exchange.")
    unknown = set(chosen) - {i.pk for i in items}
    if unknown:
        raise ServiceError("Replacements can only be chosen for this return's accepted items.")
    wanted = [
        (i, chosen.get(i.pk) or (i.exchange_product.sku if i.exchange_product else i.order_line.sku)) for i in items
    ]
    prices = dict(Product.objects.filter(sku__in={sku for _, sku in wanted}).values_list("sku", "price"))
    result = []
    for item, sku in wanted:
        if sku == item.order_line.sku:
            unit = item.order_line.unit_price
        elif sku in prices:
            unit = prices[sku]
        else:
            raise ServiceError(f"There is no product {sku}.")
        result.append(Replacement(sku, item.quantity, unit * item.quantity))
    return result


def _exchange_apply(by: Actor, *, carrier: str, tracking_number: str, chosen: dict[int, str], reason: str = ""):
    from returns_desk.orders.services import order_create_replacement
    from returns_desk.payments.services import exchange_authorize

    def apply(rr: ReturnRequest) -> dict:
        replacements = _replacements(rr, chosen)
        value = sum(r.value for r in replacements)
        decision = exchange_authorize(return_request=rr, value=value, settled=rr.refund_amount or 0, by=by)
        replacement = order_create_replacement(
            original=rr.order,
            items=[(r.sku, r.quantity) for r in replacements],
            number=f"{rr.order.number}-X{rr.pk}",
            carrier=carrier,
            tracking_number=tracking_number,
        )
        rr.exchange_order, rr.exchange_value = replacement, value
        apply.body = f"Replacement shipped: {carrier} {tracking_number}. " + _decision_body(
            "Exchange shipped", value, decision, by, rr, reason
        )
        apply.customer = f"Your replacement is on its way: {carrier} {tracking_number}".strip() + "."
        return {
            "money": {"outcome": "exchange", **decision},
            "exchange_order": replacement.number,
            "skus": [r.sku for r in replacements],
            "exchange_value": value,
        }

    apply.body = apply.customer = ""
    return apply


def return_ship_exchange(
    *,
    return_request: ReturnRequest,
    by: Actor,
    carrier: str,
    tracking_number: str,
    replacement_skus: dict[int, str] | None = None,
) -> ReturnRequest:
    """Ship replacements as a zero-priced order (`replacement_skus`: return item id -> SKU); stock is taken,
    never below zero, and the replacements' value passes the money rule like any other outcome."""
    tracking_number = _required(tracking_number, "the tracking number of the replacement")
    apply = _exchange_apply(by, carrier=carrier.strip(), tracking_number=tracking_number, chosen=replacement_skus or {})
    data = {"carrier": carrier.strip(), "tracking_number": tracking_number}
    return _run_money(return_request, "ship_exchange", by, apply, data=data)


def default_request_amount(rr: ReturnRequest, outcome: str) -> int:
    """The figure a request for `outcome` starts from: the settlement (for a returnless refund, the quote)."""
    if outcome == MoneyOutcome.RETURNLESS:
        return settlement_of(
            quote_for_items(rr, list(rr.items.select_related("reason", "order_line")), returnless=True)
        )
    if outcome == MoneyOutcome.REFUND and rr.status == ReturnStatus.REFUND_FAILED:
        return _last_refund_amount(rr)
    return rr.refund_amount or 0


def return_request_refund_approval(
    *,
    return_request: ReturnRequest,
    by: Actor,
    outcome: str = MoneyOutcome.REFUND,
    amount: int | None = None,
    override_reason: str = "",
    note: str = "",
    details: dict | None = None,
) -> ReturnRequest:
    """Ask a manager to approve an outcome and its amount (above the VA's limit, or after a failure).

    The request is checked against the money rule now (a manager can approve up to the rule's ceiling, never
    beyond it) and kept apart from the settlement, which a denial leaves as it was.
    """
    from returns_desk.payments import money_rule

    if outcome not in MoneyOutcome.values:
        raise ServiceError("Choose the outcome to ask for: refund, store credit, exchange or refund without return.")
    reason = override_reason.strip()

    def prepare(rr: ReturnRequest) -> None:
        allowed = {
            ReturnStatus.APPROVED: {MoneyOutcome.RETURNLESS},
            ReturnStatus.INSPECTED: {MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT, MoneyOutcome.EXCHANGE},
            ReturnStatus.REFUND_FAILED: {MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT},
        }.get(rr.status, set())
        if outcome not in allowed:
            raise ActionNotAllowed(
                f"{MoneyOutcome(outcome).label} can't be asked for while the return is {rr.get_status_display()}."
            )
        if outcome == MoneyOutcome.RETURNLESS and not rr.returnless_allowed_by_policy():
            raise ActionNotAllowed(CONDITION_REFUSALS["returnless_allowed_by_policy"])
        default = default_request_amount(rr, outcome)
        asked = _checked_override(rr, amount, reason, default)
        if outcome == MoneyOutcome.EXCHANGE:
            replacements = _replacements(rr, (details or {}).get("replacements") or {})
            asked = sum(r.value for r in replacements)
        why = money_rule.refusal(
            money_rule.position_for(rr), asked, what=f"ask for {MoneyOutcome(outcome).label.lower()} of"
        )
        if why:
            raise ServiceError(why)
        rr.requested_outcome, rr.requested_amount, rr.requested_reason = outcome, asked, reason or note.strip()
        rr.requested_details = {k: v for k, v in (details or {}).items() if v not in (None, "", {})}
        rr.requested_by, rr.requested_at, rr.requested_from = by.user, clock.now(), rr.status
        limit = money_rule.limit_for(by, rr)
        prepare.body = (
            f"{_person(by.user)} asks a manager to approve {MoneyOutcome(outcome).label.lower()} of "
            f"{format_money(asked, rr.currency)} (settled at inspection: {rr.refund_amount_display}"
            + (f"; their limit {format_money(limit, rr.currency)}" if limit is not None else "")
            + ")."
            + (f" Reason: {reason}" if reason else "")
            + (f" {note.strip()}" if note.strip() else "")
        )
        prepare.data = {"money": {"outcome": outcome, "requested": asked, "limit": limit, "settled": rr.refund_amount}}

    prepare.body, prepare.data = "", {}
    if by.kind != Actor.STAFF:
        raise ActionForbidden("Only desk staff can ask a manager to approve money.")
    return run_transition(
        return_request=return_request,
        action="request_refund_approval",
        by=by,
        prepare=prepare,
        apply=lambda rr: prepare.data,
        body=lambda: prepare.body,
        lock_order=True,
    )


def return_approve_refund(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    """A manager approves the outcome asked for, at the amount asked, up to the money rule's ceiling."""

    def apply(rr: ReturnRequest) -> dict:
        asked_by = _person(rr.requested_by) if rr.requested_by_id else "the desk"
        outcome, amount = rr.requested_outcome, rr.requested_amount
        if outcome in (MoneyOutcome.REFUND, MoneyOutcome.RETURNLESS):
            if outcome == MoneyOutcome.RETURNLESS:
                rr.returnless = True
            step = _refund_apply(by, amount_of=lambda _: amount, reference=reference)
        elif outcome == MoneyOutcome.STORE_CREDIT:
            step = _credit_apply(by, base_of=lambda _: amount)
        else:
            details = rr.requested_details or {}
            step = _exchange_apply(
                by,
                carrier=details.get("carrier", ""),
                tracking_number=details.get("tracking_number", ""),
                chosen={int(k): v for k, v in (details.get("replacements") or {}).items()},
            )
        result = step(rr)
        apply.body = f"Approved {MoneyOutcome(outcome).label.lower()} asked by {asked_by}. {step.body}"
        apply.customer = step.customer
        return result

    apply.body = apply.customer = ""
    return _run_money(return_request, "approve_refund", by, apply)


def return_deny_refund(*, return_request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    """A manager declines the request; the return goes back where it was asked from, settlement unchanged."""
    reason = _required(reason, "a reason for the VA")

    def apply(rr: ReturnRequest) -> dict:
        asked_by = _person(rr.requested_by) if rr.requested_by_id else "the desk"
        asked = format_money(rr.requested_amount or 0, rr.currency)
        label = MoneyOutcome(rr.requested_outcome).label.lower() if rr.requested_outcome else "refund"
        apply.body = (
            f"{_person(by.user)} denied {label} of {asked} asked by {asked_by}: {reason} "
            f"The settlement stays at {rr.refund_amount_display}."
        )
        return {"money": {"denied": rr.requested_amount, "outcome": rr.requested_outcome, "settled": rr.refund_amount}}

    apply.body = ""
    return run_transition(
        return_request=return_request, action="deny_refund", by=by, apply=apply, body=lambda: apply.body
    )


def return_close(*, return_request: ReturnRequest, by: Actor) -> ReturnRequest:
    return run_transition(return_request=return_request, action="close", by=by)
