"""Opening a return: checked against the policy, priced, recorded, and approved at once when the policy says so."""

import datetime as dt
import secrets
from collections.abc import Sequence

from django.db import transaction

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Order
from returns_desk.policies.models import ReasonCode, ReturnPolicy
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns.auto_approval import customer_standing
from returns_desk.returns.models import Resolution, ReturnEvent, ReturnItem, ReturnPhoto, ReturnRequest
from returns_desk.returns.photos import is_staged_name
from returns_desk.returns.pricing import (
    RequestedItem,
    RequestPlan,
    exchange_options,
    overall_resolution,
    plan_request,
)

from .engine import publish_transition, run_transition
from .timeline import record_event


def rma_for(pk: int) -> str:
    return f"RMA-{pk:06d}"


def _check_exchange_choices(order: Order, items: Sequence[RequestedItem]) -> None:
    """Each wanted product must be a size or colour of the returned line's style, at its price or lower, and in
    stock now. (With no
    choice made, as when the desk opens a return, the VA picks the replacement when shipping it.)"""
    chosen = [(i, i.exchange_product_id) for i in items if i.exchange_product_id is not None]
    lines = {line.pk: line for line in order.lines.select_related("product")}
    options = exchange_options([lines[i.order_line_id] for i, _ in chosen])
    for item, product_id in chosen:
        offered = {p.pk: p for p in options[item.order_line_id]}
        wanted = offered.get(product_id)
        if wanted is None:
            title = lines[item.order_line_id].title
            raise ServiceError(f"The size or colour chosen for {title} is not available any more; choose again.")
        if wanted.stock < item.quantity:
            raise ServiceError(f"Only {wanted.stock} of {wanted.title} in stock; choose another or fewer.")


def _new_return(
    *,
    order: Order,
    plan: RequestPlan,
    resolution: str,
    policy: ReturnPolicy,
    reasons: dict[str, ReasonCode],
    submission_key: str | None,
) -> ReturnRequest:
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
        quoted_amount=plan.quote.total,
        terms=QuotedTerms.from_policy(policy, reasons.values()).as_json(),
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )
    rr.rma_number = rma_for(rr.pk)
    ReturnRequest.objects.filter(pk=rr.pk).update(rma_number=rr.rma_number)
    return rr


def _add_items(
    rr: ReturnRequest, items: Sequence[RequestedItem], reasons: dict[str, ReasonCode], resolution: str
) -> None:
    created = ReturnItem.objects.bulk_create(
        ReturnItem(
            return_request=rr,
            order_line_id=i.order_line_id,
            quantity=i.quantity,
            reason=reasons[i.reason_code],
            condition_description=i.description.strip(),
            resolution=i.resolution or resolution,
            exchange_product_id=i.exchange_product_id if (i.resolution or resolution) == Resolution.EXCHANGE else None,
        )
        for i in items
    )
    if not any(i.photos for i in items):
        return
    if created[0].pk is None:  # backends that do not return ids from a bulk insert
        created = list(rr.items.order_by("id"))
    ReturnPhoto.objects.bulk_create(
        ReturnPhoto(item=item, image=name, uploaded_at=rr.created_at)
        for item, wanted in zip(created, items, strict=True)
        for name in wanted.photos
    )


def _approve_if_the_policy_says(rr: ReturnRequest, policy: ReturnPolicy) -> ReturnRequest:
    standing = customer_standing(rr.email, count_returns=policy.auto_approve)
    approve, held_because = standing.auto_approval(policy.auto_approve)
    if approve:
        return run_transition(
            return_request=rr, action="approve", by=Actor.system(), body="Approved automatically by the return policy."
        )
    if held_because:
        record_event(return_request=rr, kind=ReturnEvent.Kind.NOTE, by=Actor.system(), body=held_because)
    return rr


def return_create(
    *,
    order: Order,
    items: Sequence[RequestedItem],
    resolution: str = Resolution.REFUND,
    by: Actor,
    note: str = "",
    submission_key: str | None = None,
) -> ReturnRequest:
    """Open a return for some lines of an order, after checking each against the policy. Each item may ask
    for an outcome of its own (`RequestedItem.resolution`); `resolution` is the one for items that do not.

    `submission_key` makes a confirm idempotent: the same key (a double click, a resent form) returns the
    return it already opened instead of opening another.
    """
    policy = active_policy()
    reasons = {r.code: r for r in ReasonCode.objects.filter(code__in={i.reason_code for i in items}, is_active=True)}
    if any(not is_staged_name(name) for i in items for name in i.photos):
        raise ServiceError("A photo could not be found; please add it again.")
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk", flat=True).get()
        if submission_key and (done := ReturnRequest.objects.filter(submission_key=submission_key).first()):
            return done  # seen after the order's lock, so two confirms of one draft cannot both get here
        overall = overall_resolution(items, resolution)
        plan = plan_request(order=order, items=items, resolution=resolution, reasons=reasons)
        _check_exchange_choices(order, [i for i in items if (i.resolution or resolution) == Resolution.EXCHANGE])
        rr = _new_return(
            order=order, plan=plan, resolution=overall, policy=policy, reasons=reasons, submission_key=submission_key
        )
        _add_items(rr, items, reasons, resolution)
        opened = record_event(
            return_request=rr,
            kind=ReturnEvent.Kind.TRANSITION,
            by=by,
            to_state=rr.status,
            body=note.strip(),
            visible_to_customer=True,
            data={"quote_total": plan.quote.total, "resolution": overall, "returnless": plan.returnless},
            at=rr.created_at,
        )
        publish_transition(rr, opened, transition="", from_state="")
        return _approve_if_the_policy_says(rr, policy)
