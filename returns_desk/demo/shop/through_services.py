"""The service path: each planned return replayed through the real services, every step at the moment it
happened and as the person who would have taken it, so every timeline, email and refund is true."""

import contextlib
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.tasks import run_tasks_inline
from returns_desk.demo.shop.plans import PlannedReturn
from returns_desk.demo.shop.progress import progress
from returns_desk.demo.shop.words import CARRIERS, FAILURES, QUESTIONS, REJECTIONS, STRIPE_FAILURES, describe
from returns_desk.notifications.services import emails_record_delivered
from returns_desk.orders.models import Product
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.payments.providers import provider_name_for
from returns_desk.returns import services
from returns_desk.returns.models import ReturnEvent, ReturnRequest, ReturnStatus

S = ReturnStatus

# Steps that record a refund (a manual one needs the bank's reference) or confirm one.
MONEY_REFERENCE_ACTIONS = frozenset({"issue_refund", "approve_refund", "refund_succeeded"})
REFUND_SENDING_ACTIONS = frozenset({"issue_refund", "approve_refund"})


def seed_through_services(rng: random.Random, planned: list[PlannedReturn], staff: dict[str, object]) -> int:
    made = 0
    claims: list[tuple[PlannedReturn, object]] = []
    split_once = [False]  # the first return that can be settled item by item always is: the demo shows one
    with (
        run_tasks_inline(only=["returns_desk.payments.tasks.send_refund"]),
        progress(total=len(planned), what="returns through the services") as bar,
    ):
        for plan in planned:
            bar.update()
            # The VA who picks the return up first keeps it, as on a real desk.
            owner = rng.choice([staff["agent"], staff["ana"]])
            if plan.path:
                claims.append((plan, owner))
            wants = _item_by_item(rng, plan, always=not split_once[0])
            split_once[0] = split_once[0] or any(wants)
            with transaction.atomic(), clock.frozen_at(plan.times[0]):
                rr = services.return_create(
                    order=plan.order,
                    resolution=plan.resolution,
                    by=Actor.customer(),
                    items=[
                        services.RequestedItem(
                            line.pk, qty, reason.code, describe(rng, line, reason), resolution=wanted
                        )
                        for (line, qty, reason), wanted in zip(plan.picks, wants, strict=True)
                    ],
                )
            plan.return_id = rr.pk
            stripe = _paid_through_stripe(plan.order)
            # Each step commits on its own, so tasks queued on commit (refunds) run before the next step.
            for n, (action, moment) in enumerate(zip(plan.path, plan.times[1:], strict=True)):
                following = plan.path[n + 1] if n + 1 < len(plan.path) else ""
                # A refund whose answer is not part of this return's story yet (pending, or failing later)
                # is recorded but not sent: the provider would confirm it at once.
                held = action in REFUND_SENDING_ACTIONS and following != "refund_succeeded"
                with clock.frozen_at(moment), run_tasks_inline(only=()) if held else contextlib.nullcontext():
                    rr = _step(rr, action, rng, staff, owner, stripe=stripe)

            # The return's emails were delivered as they were written; record that in one go.
            emails_record_delivered(return_request=rr)
            made += 1
    _record_claims(claims)
    return made


def _item_by_item(rng: random.Random, plan: PlannedReturn, *, always: bool) -> list[str]:
    """Some customers returning two items for credit exchange the first instead: the return is settled item
    by item (`settle` in place of `issue_store_credit`). Each item's outcome, or "" for the return's own."""
    if plan.resolution != "store_credit" or len(plan.picks) != 2 or (rng.random() >= 0.4 and not always):
        return [""] * len(plan.picks)
    plan.path = ["settle" if action == "issue_store_credit" else action for action in plan.path]
    plan.resolution = "mixed"
    return ["exchange", "store_credit"]


def _paid_through_stripe(order) -> bool:
    return provider_name_for(order.payment_reference) == Refund.Provider.STRIPE


@dataclass(frozen=True)
class _Turn:
    """One step of a return: the return, who works it, and the references a refund is recorded with."""

    rr: ReturnRequest
    rng: random.Random
    agent: Actor  # the VA who picked the return up (a `staff` object: its groups are cached)
    manager: Actor
    asker: Actor  # a newer VA with a small refund limit
    bank_reference: str  # the money moved in the bank first (manual refunds)
    reference: str  # what a refund is recorded with: "" when it goes to Stripe, else the bank's reference


def _step(
    rr: ReturnRequest, action: str, rng: random.Random, staff: dict[str, object], owner, *, stripe: bool
) -> ReturnRequest:
    """Run one transition through its real service, as the person who would run it.

    `stripe`: the order was paid through Stripe, so its refunds go to Stripe (no reference); otherwise the
    money moved in the bank first and the refund is recorded with the bank's reference.
    """
    bank_reference = f"BANK-{rng.randrange(10**6, 10**7)}" if action in MONEY_REFERENCE_ACTIONS else ""
    turn = _Turn(
        rr,
        rng,
        agent=Actor.staff(owner),
        manager=Actor.staff(staff["manager"]),
        asker=Actor.staff(staff["ben"]),
        bank_reference=bank_reference,
        reference="" if stripe else bank_reference,
    )
    return STEPS[action](turn)


def _within_limit(act: Callable[[Actor], ReturnRequest], agent: Actor, manager: Actor) -> ReturnRequest:
    """The VA gives the money back; above their limit (the gate refuses, having written nothing) a manager
    does it instead, as on a real desk where managers work tickets too."""
    try:
        return act(agent)
    except money_rule.AboveLimit:
        return act(manager)


# Now and then the last of several items comes back worn: the desk tells the customer why, and posts it back.
WORN = "It came back worn, with the tags removed, so we cannot accept it under our returns policy."


def _inspect(t: _Turn) -> ReturnRequest:
    items = list(t.rr.items.all())
    worn = items[-1].pk if len(items) > 1 and t.rng.random() < 0.15 else None
    results = [
        services.ItemInspection(item.pk, "rejected", "used", "", "Tags cut off.", WORN, "sent_back_our_cost")
        if item.pk == worn
        else services.ItemInspection(
            item.pk,
            "accepted",
            t.rng.choice(["new", "like_new", "used"]),
            t.rng.choice(["restock", "restock", "restock", "vendor"]),
        )
        for item in items
    ]
    return services.return_inspect(return_request=t.rr, by=t.agent, results=results)


def _stock_replacements(t: _Turn) -> None:
    """Exchanges go for the same SKU; when the shelf is short, the demo supplier delivers first."""
    for item in payments.exchanged_items(t.rr):
        product = item.order_line.product
        if product is not None and product.stock < item.quantity:
            Product.objects.filter(pk=product.pk).update(stock=F("stock") + item.quantity + t.rng.randint(0, 5))


def _replacements_shipped(t: _Turn, give: Callable[..., ReturnRequest]) -> ReturnRequest:
    """Ship the replacements with `give` (an exchange, or a return settled item by item: one item exchanged,
    the other credited), as the VA would, or their manager above the VA's limit."""
    _stock_replacements(t)
    carrier, tracking = t.rng.choice(CARRIERS), f"EXC{t.rng.randrange(10**9, 10**10)}"
    return _within_limit(
        lambda by: give(return_request=t.rr, by=by, carrier=carrier, tracking_number=tracking), t.agent, t.manager
    )


def _refund_succeeded(t: _Turn) -> ReturnRequest:
    refund = t.rr.refunds.order_by("-attempt").first()
    if refund.status == Refund.Status.SUCCEEDED:
        return t.rr  # confirmed when it was sent (a manual refund with its reference; Stripe's answer)
    if refund.provider == Refund.Provider.STRIPE:
        raise RuntimeError(
            f"Stripe has not confirmed the refund of {t.rr.rma_number} "
            f"({refund.last_error or 'it was not sent: tasks run on commit'})."
        )
    # Not sent: tasks run when a transaction commits, and a test's transaction never does.
    payments.refund_confirm_manual(refund=refund, by=t.agent, reference=t.bank_reference)
    return ReturnRequest.objects.get(pk=t.rr.pk)


def _refund_failed(t: _Turn) -> ReturnRequest:
    refund = t.rr.refunds.order_by("-attempt").first()
    failure = t.rng.randrange(len(FAILURES))
    if refund.provider == Refund.Provider.STRIPE:
        # What Stripe's webhook would report: the refund failed, with Stripe's own code.
        payments.refund_record_outcome(
            refund_id=refund.pk,
            status=Refund.Status.FAILED,
            by=Actor.stripe(),
            failure_reason=STRIPE_FAILURES[failure],
        )
    else:
        payments.refund_mark_failed_manual(refund=refund, by=t.agent, reason=FAILURES[failure])
    return ReturnRequest.objects.get(pk=t.rr.pk)


# Each transition through its service, as the person who takes it on a real desk.
STEPS: dict[str, Callable[[_Turn], ReturnRequest]] = {
    "request_info": lambda t: services.return_request_info(
        return_request=t.rr, by=t.agent, question=t.rng.choice(QUESTIONS)
    ),
    "info_received": lambda t: services.return_info_received(
        return_request=t.rr, by=Actor.customer(), message="Photos attached; tags are still on."
    ),
    "approve": lambda t: services.return_approve(return_request=t.rr, by=t.agent),
    "reject": lambda t: services.return_reject(return_request=t.rr, by=t.agent, reason=t.rng.choice(REJECTIONS)),
    "cancel": lambda t: services.return_cancel(return_request=t.rr, by=Actor.customer(), reason="No longer needed."),
    "expire": lambda t: services.return_expire(return_request=t.rr),
    "mark_in_transit": lambda t: services.return_mark_in_transit(
        return_request=t.rr,
        by=Actor.customer(),
        carrier=t.rng.choice(CARRIERS),
        tracking_number=f"TRK{t.rng.randrange(10**9, 10**10)}",
    ),
    "receive": lambda t: services.return_receive(return_request=t.rr, by=t.agent),
    "inspect": _inspect,
    # A newer VA with a small limit asks a manager to approve the refund the inspection settled.
    "request_refund_approval": lambda t: payments.return_request_refund_approval(
        return_request=t.rr,
        by=t.asker,
        outcome="refund",
        note="The customer is a regular; please confirm the amount.",
    ),
    "approve_refund": lambda t: payments.return_approve_refund(
        return_request=t.rr, by=t.manager, reference=t.reference
    ),
    "issue_refund": lambda t: _within_limit(
        lambda by: payments.return_issue_refund(return_request=t.rr, by=by, reference=t.reference),
        t.agent,
        t.manager,
    ),
    "issue_store_credit": lambda t: _within_limit(
        lambda by: payments.return_issue_store_credit(return_request=t.rr, by=by), t.agent, t.manager
    ),
    "ship_exchange": lambda t: _replacements_shipped(t, payments.return_ship_exchange),
    "settle": lambda t: _replacements_shipped(t, payments.return_settle),
    "refund_succeeded": _refund_succeeded,
    "refund_failed": _refund_failed,
    "close": lambda t: services.return_close(return_request=t.rr, by=Actor.system()),
}


def _record_claims(claims: list) -> None:
    """Each worked return was claimed by its VA just before their first action; written in bulk because
    replaying one assignment transaction per return would double the seeding time."""
    by_owner: dict[int, list[int]] = {}
    events = []
    for plan, owner in claims:
        rr_id = plan.return_id
        by_owner.setdefault(owner.pk, []).append(rr_id)
        events.append(
            ReturnEvent(
                return_request_id=rr_id,
                kind=ReturnEvent.Kind.ASSIGNMENT,
                actor_kind="staff",
                actor_user=owner,
                body=f"Assigned to {owner.get_username()}",
                created_at=plan.times[1] - dt.timedelta(minutes=1),
            )
        )
    for owner_id, ids in by_owner.items():
        ReturnRequest.objects.filter(pk__in=ids).update(assignee_id=owner_id)
    services.record_events(events, batch_size=2000)


def seed_disputes(rng: random.Random, *, now: dt.datetime, count: int) -> int:
    """A few chargebacks, applied through the same service as Stripe's webhooks, where customers open them: on
    returns refused, or still on their way back, with no money given back yet (a lost one then leaves nothing
    to refund on that order, as the money rule says)."""
    waiting = [S.REJECTED, S.IN_TRANSIT, S.RECEIVED, S.INSPECTED]
    candidates = list(
        ReturnRequest.objects.filter(status__in=waiting, order__payment_reference__startswith="pi_")
        .exclude(order__refunds__isnull=False)
        .order_by("pk")
        .values_list("pk", "order__payment_reference", "order__amount_paid", "status_changed_at")[:400]
    )
    made = 0
    for n, (pk, payment, amount, settled) in enumerate(rng.sample(candidates, min(count, len(candidates)))):
        opened = min(max(settled + dt.timedelta(hours=1), now - dt.timedelta(days=rng.randint(1, 12))), now)
        status = ["needs_response", "needs_response", "under_review", "won", "lost"][n % 5]
        obj = {
            "id": f"dp_demo{pk}",
            "charge": f"ch_demo{pk}",
            "payment_intent": payment,
            "amount": amount,
            "currency": "usd",
            "reason": rng.choice(["product_not_received", "fraudulent", "product_unacceptable"]),
            "status": "needs_response",
            "evidence_details": {"due_by": int((opened + dt.timedelta(days=9)).timestamp())},
        }
        with clock.frozen_at(opened):
            payments.dispute_apply_stripe(obj=obj, event_created=opened, event_type="charge.dispute.created")
        if status != "needs_response":
            later = opened + dt.timedelta(hours=rng.randint(2, 48))
            kind = "charge.dispute.closed" if status in ("won", "lost") else "charge.dispute.updated"
            with clock.frozen_at(min(later, now)):
                payments.dispute_apply_stripe(
                    obj={**obj, "status": status}, event_created=min(later, now), event_type=kind
                )
        made += 1
    return made
