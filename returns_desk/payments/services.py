"""Writes about money: refunds in two phases, and store credit.

Phase one (inside the return's transaction): our own checks, then a `Refund` row with its idempotency
key. Phase two (a task, on commit, outside any transaction): the provider is called with that key,
and its answer is recorded by `refund_record_outcome`.
"""

import datetime as dt

from django.db import transaction

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import format_money
from returns_desk.core.tasks import enqueue_on_commit
from returns_desk.orders.models import Order

from .models import Refund, StoreCredit, new_store_credit_code
from .providers import default_provider_name
from .selectors import refunded_total_for_order

FINAL_REFUND_STATUSES = (Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.CANCELED)
STORE_CREDIT_VALID_DAYS = 365


def refund_record_for_return(*, return_request, by: Actor, reference: str = "") -> Refund:
    """Record a refund of the return's settled amount. The caller holds the order and return locks."""
    rr = return_request
    order = rr.order
    amount = rr.refund_amount or 0
    if amount <= 0:
        raise ServiceError("A refund must be more than zero.")
    if rr.currency != order.currency:
        raise ServiceError(f"The return is in {rr.currency} but the order was paid in {order.currency}.")
    already = refunded_total_for_order(order.pk)
    if already + amount > order.amount_paid:
        left = max(order.amount_paid - already, 0)
        raise ServiceError(
            f"Refusing to refund {format_money(amount, rr.currency)}: only {format_money(left, rr.currency)} "
            f"of the {order.amount_paid_display} paid is still refundable on order {order.number}."
        )
    if rr.refunds.filter(status__in=(Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)).exists():
        raise ServiceError("A refund for this return is already on its way.")
    attempt = (rr.refunds.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
    now = clock.now()
    refund = Refund.objects.create(
        return_request=rr,
        order=order,
        attempt=attempt,
        amount=amount,
        currency=rr.currency,
        provider=default_provider_name(),
        provider_refund_id=reference.strip(),
        idempotency_key=f"refund-{rr.rma_number}-attempt-{attempt}",
        requested_by=by.user if by.kind == Actor.STAFF else None,
        created_at=now,
        updated_at=now,
    )
    enqueue_on_commit("returns_desk.payments.tasks.send_refund", refund.pk)
    return refund


def refund_record_outcome(
    *, refund_id: int, status: str, by: Actor, provider_refund_id: str = "", failure_reason: str = ""
) -> Refund:
    """Apply the provider's answer to a refund and move its return on. Repeating an answer changes nothing."""
    from returns_desk.returns.models import ReturnRequest, ReturnStatus
    from returns_desk.returns.services import run_transition

    if status not in Refund.Status.values:
        raise ServiceError(f"Unknown refund status {status!r}.")
    with transaction.atomic():
        # The same lock order as every money service: order, then return, then the refund itself.
        ids = Refund.objects.values("order_id", "return_request_id").get(pk=refund_id)
        Order.objects.select_for_update().filter(pk=ids["order_id"]).values_list("pk", flat=True).get()
        ReturnRequest.objects.select_for_update().filter(pk=ids["return_request_id"]).values_list("pk", flat=True).get()
        refund = Refund.objects.select_for_update().select_related("return_request").get(pk=refund_id)
        if refund.status in FINAL_REFUND_STATUSES or refund.status == status and not provider_refund_id:
            return refund  # already processed: a repeated or late answer must not move money or state
        refund.status = status
        refund.provider_refund_id = provider_refund_id or refund.provider_refund_id
        refund.failure_reason = failure_reason if status in (Refund.Status.FAILED, Refund.Status.CANCELED) else ""
        refund.updated_at = clock.now()
        refund.save()
        rr = refund.return_request
        if rr.status == ReturnStatus.REFUND_PENDING:
            if status == Refund.Status.SUCCEEDED:
                run_transition(
                    return_request=rr,
                    action="refund_succeeded",
                    by=by,
                    body=f"{refund.amount_display} refunded (reference {refund.provider_refund_id}).",
                    data={"refund_id": refund.pk},
                )
            elif status in (Refund.Status.FAILED, Refund.Status.CANCELED):
                run_transition(
                    return_request=rr,
                    action="refund_failed",
                    by=by,
                    body=failure_reason or "The payment provider did not say why.",
                    data={"refund_id": refund.pk},
                )
    return refund


def refund_confirm_manual(*, refund: Refund, by: Actor, reference: str) -> Refund:
    """A VA records the reference of a refund made outside the app."""
    reference = (reference or "").strip()
    if not reference:
        raise ServiceError("Give the reference of the refund you made (bank or back-office id).")
    if refund.provider != Refund.Provider.MANUAL:
        raise ServiceError("Only manual refunds are confirmed by hand.")
    return refund_record_outcome(
        refund_id=refund.pk, status=Refund.Status.SUCCEEDED, by=by, provider_refund_id=reference
    )


def refund_mark_failed_manual(*, refund: Refund, by: Actor, reason: str) -> Refund:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say why the refund failed.")
    if refund.provider != Refund.Provider.MANUAL:
        raise ServiceError("Only manual refunds are marked failed by hand.")
    return refund_record_outcome(refund_id=refund.pk, status=Refund.Status.FAILED, by=by, failure_reason=reason)


def store_credit_issue_for_return(*, return_request, by: Actor) -> StoreCredit:
    """Issue the return's settled amount as store credit with a new code. The caller holds the locks."""
    rr = return_request
    amount = rr.refund_amount or 0
    if amount <= 0:
        raise ServiceError("There is no amount to issue as store credit.")
    now = clock.now()
    return StoreCredit.objects.create(
        email=rr.email.lower(),
        kind=StoreCredit.Kind.ISSUE,
        amount=amount,
        currency=rr.currency,
        code=new_store_credit_code(),
        return_request=rr,
        expires_on=(now + dt.timedelta(days=STORE_CREDIT_VALID_DAYS)).date(),
        note=f"For {rr.rma_number}",
        created_by=by.user if by.kind == Actor.STAFF else None,
        created_at=now,
    )
