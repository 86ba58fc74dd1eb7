"""Disputes (chargebacks) as Stripe reports them, and the evidence a manager sends back."""

import datetime as dt

from django.db import transaction

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.money import format_money
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.orders.models import Order
from returns_desk.payments.models import Dispute
from returns_desk.policies.selectors import active_policy
from returns_desk.returns.models import Priority, ReturnRequest
from returns_desk.returns.services import record_event, return_raise_priority
from returns_desk.staff.roles import is_manager


class DisputeNotForDesk(ServiceError):
    """A Stripe dispute about a payment no order of the desk was made with: nothing applies, nothing is written."""


def _disputed_order(obj: dict) -> tuple[Order, str, str]:
    """The order paid with the disputed charge (and the charge and payment intent ids), or `DisputeNotForDesk`."""
    charge = _stripe_id(obj.get("charge"))
    payment_intent = _stripe_id(obj.get("payment_intent"))
    references = [r for r in (payment_intent, charge) if r]
    order = Order.objects.filter(payment_reference__in=references).first() if references else None
    if order is None:
        about = f"{payment_intent} (charge {charge})" if payment_intent and charge else (references or ["a payment"])[0]
        raise DisputeNotForDesk(f"dispute {obj['id']} is about {about} which no order of the desk was paid with")
    return order, charge, payment_intent


def _dispute_values(
    obj: dict, order: Order, dispute: Dispute | None, event_type: str, event_created, status: str
) -> dict:
    """Our copy's fields after this event (`dispute` is None for a dispute first seen now)."""
    amount = int(obj["amount"]) if obj.get("amount") is not None else (dispute.amount if dispute else 0)
    due_by = (obj.get("evidence_details") or {}).get("due_by")
    return {
        "order": order,
        "status": status,
        "reason": obj.get("reason") or "",
        "amount": amount,
        "currency": (obj.get("currency") or order.currency).upper(),
        "funds_withdrawn": _funds_withdrawn(
            event_type, status, amount, before=dispute.funds_withdrawn if dispute else 0
        ),
        "evidence_due_by": dt.datetime.fromtimestamp(due_by, tz=dt.UTC) if due_by else None,
        "last_event_at": event_created,
        "updated_at": clock.now(),
    }


def _tell_the_return(dispute: Dispute, event_type: str, created: bool, previous_status: str | None) -> None:
    rr = dispute.return_request
    if rr is None:
        return
    record_event(
        return_request=rr,
        kind="dispute",
        by=Actor.stripe(),
        body=_dispute_news(dispute, event_type, created, previous_status=previous_status),
        data={"dispute_id": dispute.pk, "event_type": event_type, "funds_withdrawn": dispute.funds_withdrawn},
    )
    if created and dispute.is_open:
        return_raise_priority(return_request=rr, priority=Priority.URGENT)


def dispute_apply_stripe(*, obj: dict, event_created: dt.datetime, event_type: str) -> Dispute:
    """Create or update our copy of a Stripe dispute from an event; older events never overwrite newer ones
    (nor, within one second, reopen a dispute closed that second: `_ordered_status`).

    The status is kept as Stripe sends it: one the desk does not know yet counts as open, so it blocks
    refunds. `funds_withdrawn` follows the money and the order's money rule counts it as given back: set by
    Stripe's funds-withdrawn event (sent when most disputes open) and by a loss, cleared by the
    funds-reinstated event and by a win. The order is locked first, as for every money write, then the
    dispute. Raises `DisputeNotForDesk`, having written nothing, for a payment no order was paid with.
    """
    order, charge, payment_intent = _disputed_order(obj)
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk", flat=True).get()
        dispute = Dispute.objects.select_for_update().filter(stripe_dispute_id=obj["id"]).first()
        status = _dispute_status(obj.get("status"), dispute)
        if dispute is not None:
            ordered = _ordered_status(dispute, event_created, status)
            if ordered is None:
                return dispute  # an older event arriving late
            status = ordered
        values = _dispute_values(obj, order, dispute, event_type, event_created, status)
        values.update(charge_id=charge, payment_intent_id=payment_intent)
        if dispute is None:
            rr = ReturnRequest.objects.filter(order=order).order_by("-created_at").first()
            dispute = Dispute.objects.create(
                stripe_dispute_id=obj["id"], return_request=rr, created_at=clock.now(), **values
            )
            _tell_the_return(dispute, event_type, True, None)
            return dispute
        previous_status = dispute.status
        if event_created == dispute.last_event_at and (values["status"], values["funds_withdrawn"]) == (
            dispute.status,
            dispute.funds_withdrawn,
        ):
            return dispute  # the same event applied again (processed again by a manager): no second news
        for field, value in values.items():
            setattr(dispute, field, value)
        dispute.save()
        if previous_status != dispute.status or event_type != "charge.dispute.updated":
            _tell_the_return(dispute, event_type, False, previous_status)
    return dispute


def _status_step(status: str) -> int:
    """Where a status comes in a dispute's life: awaiting a response, then under review, then closed. A status
    the desk does not know counts as open (under review)."""
    if status in Dispute.FINAL_STATUSES:
        return 2
    return 0 if status.endswith("needs_response") else 1


def _ordered_status(dispute: Dispute, event_created: dt.datetime, status: str) -> str | None:
    """The status after an event, or None for an event older than the last one applied (it changes nothing).

    Stripe stamps events to the second, so within one second the dispute's own order decides: awaiting a
    response, under review, closed last. An "updated" stamped the same second as the "closed" it arrives after
    keeps the dispute closed; what it says about the money still counts (`_funds_withdrawn`).
    """
    if dispute.last_event_at is None:
        return status
    if event_created < dispute.last_event_at:
        return None
    if event_created == dispute.last_event_at and _status_step(status) < _status_step(dispute.status):
        return dispute.status
    return status


def _dispute_status(value, dispute: Dispute | None) -> str:
    """Stripe's status as given, even one the desk does not know (it is then open and blocks refunds). Only
    an event without one keeps what we had, and a dispute first seen without one is taken as needing a
    response: open, never settled by default."""
    status = str(value or "").strip()[: Dispute._meta.get_field("status").max_length]
    if status:
        return status
    return dispute.status if dispute is not None else Dispute.Status.NEEDS_RESPONSE


def _funds_withdrawn(event_type: str, status: str, amount: int, *, before: int) -> int:
    """What the bank holds back after this event. On a contradiction the money stays counted as withdrawn:
    counting too much only holds a refund back, counting too little could pay the same money twice."""
    if status == Dispute.Status.LOST or event_type == "charge.dispute.funds_withdrawn":
        return amount
    if status == Dispute.Status.WON or event_type == "charge.dispute.funds_reinstated":
        return 0
    return before


def _stripe_id(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


INQUIRY_STATUSES = (
    Dispute.Status.WARNING_NEEDS_RESPONSE,
    Dispute.Status.WARNING_UNDER_REVIEW,
    Dispute.Status.WARNING_CLOSED,
)
SETTLED_WORDS: dict[str, str] = {
    Dispute.Status.LOST: "already lost: the bank kept the money",
    Dispute.Status.WON: "already won: the money stays with the shop",
    Dispute.Status.PREVENTED: "already prevented: it never became a chargeback",
    Dispute.Status.WARNING_CLOSED: "already closed: it never became a chargeback",
}


def _dispute_news(dispute: Dispute, event_type: str, created: bool, *, previous_status: str | None = None) -> str:
    amount = format_money(dispute.amount, dispute.currency)
    what = "Chargeback inquiry" if dispute.status in INQUIRY_STATUSES else "Chargeback"
    reason = dispute.reason or "not given"
    if created and not dispute.is_open:
        settled = SETTLED_WORDS.get(dispute.status, f"already {dispute.get_status_display().lower()}")
        return f"{what} of {amount} recorded, {settled}. Reason: {reason}."
    if created:
        due = f" Evidence is due by {dispute.evidence_due_by:%d %B %Y %H:%M} UTC." if dispute.evidence_due_by else ""
        withdrawn = (
            f" Stripe withdrew {format_money(dispute.funds_withdrawn, dispute.currency)} from the balance for it."
            if dispute.funds_withdrawn
            else ""
        )
        return f"{what} opened for {amount} (reason: {reason}). Refunds are blocked.{due}{withdrawn}"
    if event_type == "charge.dispute.funds_withdrawn":
        return f"Stripe withdrew {amount} from the balance for the dispute."
    if event_type == "charge.dispute.funds_reinstated":
        return f"Stripe reinstated {amount} to the balance."
    status = dispute.get_status_display().lower()
    news = f"Dispute closed: {status}." if event_type == "charge.dispute.closed" else f"Dispute is now {status}."
    was_open = previous_status not in Dispute.FINAL_STATUSES
    if dispute.status == Dispute.Status.LOST and previous_status != Dispute.Status.LOST:
        news += f" The bank kept {amount}: that much less can be given back for this order."
    elif dispute.is_open and not was_open:
        news += " Refunds are blocked again."
    return news


def dispute_evidence_from_desk(dispute: Dispute) -> dict:
    """Evidence the desk already holds, in Stripe's field names, for a manager to review."""
    policy = active_policy()
    order = dispute.order
    evidence = {
        "customer_name": order.customer_name,
        "customer_email_address": order.email,
        "shipping_address": order.shipping_address,
        "refund_policy_disclosure": (
            f"Items may be returned within {policy.return_window_days} days of delivery. "
            f"Final-sale items and these categories cannot be returned: "
            f"{', '.join(policy.non_returnable_categories) or 'none'}. The policy is shown at checkout and on "
            f"the returns page."
        ),
    }
    rr = dispute.return_request
    if rr is not None:
        lines = [f"Return {rr.rma_number} opened {rr.created_at:%d %b %Y} — now {rr.get_status_display()}."]
        # What the customer saw and what happened to the goods and money; internal notes stay internal.
        internal = ("note", "assignment")
        for event in rr.events.select_related("actor_user").exclude(kind__in=internal).order_by("created_at", "id"):
            what = event.get_kind_display()
            if event.kind == "transition":
                what = (
                    f"{event.get_from_state_display()} → {event.get_to_state_display()}"
                    if event.from_state
                    else "Return requested"
                )
            body = f": {event.body}" if event.body else ""
            lines.append(f"{event.created_at:%d %b %Y %H:%M} {event.actor_label} — {what}{body}")
        for item in rr.items.select_related("order_line"):
            if item.outcome:
                lines.append(
                    f"Inspection of {item.order_line.title}: {item.get_outcome_display()}"
                    f"{', ' + item.inspection_note if item.inspection_note else ''}."
                )
        refunds = [
            f"{r.amount_display} {r.get_status_display().lower()} ({r.provider_refund_id or 'no id'})"
            for r in rr.refunds.all()
        ]
        if refunds:
            lines.append("Refunds: " + "; ".join(refunds) + ".")
        evidence["uncategorized_text"] = "\n".join(lines)[:19_000]
        if rr.tracking_number:
            evidence["shipping_carrier"] = rr.tracking_carrier
            evidence["shipping_tracking_number"] = rr.tracking_number
        if rr.rejection_reason:
            evidence["refund_refusal_explanation"] = rr.rejection_reason
    return evidence


def dispute_stage_evidence(*, dispute: Dispute, by: Actor, evidence: dict | None = None) -> Dispute:
    """Save the evidence a manager reviewed (or the desk's draft) on our copy of the dispute."""
    if not (by.kind == Actor.STAFF and is_manager(by.user)):
        raise ActionForbidden("Only a manager can prepare dispute evidence.")
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.evidence_submitted_at:
            raise ServiceError("Evidence was already submitted to the bank; it can no longer change.")
        dispute.evidence = {k: str(v).strip() for k, v in (evidence or dispute_evidence_from_desk(dispute)).items()}
        dispute.updated_at = clock.now()
        dispute.save(update_fields=["evidence", "updated_at"])
    return dispute


def dispute_send_evidence(*, dispute: Dispute, by: Actor, submit: bool) -> Dispute:
    """Queue the staged evidence for Stripe: `submit=False` stages it there, `True` sends it to the bank."""
    if not (by.kind == Actor.STAFF and is_manager(by.user)):
        raise ActionForbidden("Only a manager can send dispute evidence to Stripe.")
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if not dispute.is_open:
            raise ServiceError(f"This dispute is {dispute.get_status_display().lower()}; evidence is closed.")
        if dispute.evidence_submitted_at:
            raise ServiceError("Evidence was already submitted to the bank.")
        if not dispute.evidence:
            raise ServiceError("Stage the evidence first, and review it.")
        enqueue_on_commit("returns_desk.payments.tasks.send_dispute_evidence", dispute.pk, submit)
    return dispute


def dispute_record_evidence_sent(*, dispute_id: int, submit: bool, error: str = "") -> Dispute:
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute_id)
        now = clock.now()
        dispute.evidence_error = error
        if not error:
            if submit:
                dispute.evidence_submitted_at = now
            else:
                dispute.evidence_staged_at = now
        dispute.updated_at = now
        dispute.save()
        if dispute.return_request is not None:
            body = (
                f"Sending dispute evidence to Stripe failed: {error}"
                if error
                else "Dispute evidence submitted to the bank."
                if submit
                else "Dispute evidence staged at Stripe."
            )
            record_event(
                return_request=dispute.return_request,
                kind="dispute",
                by=Actor.system(),
                body=body,
                data={"dispute_id": dispute.pk},
            )
    return dispute
