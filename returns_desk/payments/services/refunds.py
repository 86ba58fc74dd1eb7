"""Refunds in two phases.

Phase one (inside the return's transaction): our own checks, then a `Refund` row with its idempotency key.
Phase two (a task, on commit, outside any transaction): the provider is called with that key, and its answer
is recorded by `refund_record_outcome`. Lock order everywhere: order, then return, then the refund.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.tasks import enqueue_later, enqueue_on_commit
from returns_desk.payments import money_rule
from returns_desk.payments.models import Refund
from returns_desk.payments.providers import provider_name_for
from returns_desk.returns.models import Priority, ReturnStatus
from returns_desk.returns.services import lock_order_then_return, record_event, return_raise_priority, run_transition

FINAL_REFUND_STATUSES = (Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.CANCELED)

# Stripe's refund failure codes, in words a VA can act on.
FAILURE_REASONS = {
    "charge_for_pending_refund_disputed": "The customer disputed the charge while the refund was pending.",
    "declined": "The customer's bank declined the refund.",
    "expired_or_canceled_card": "The card has expired or was cancelled; offer store credit, or ask a manager.",
    "insufficient_funds": "The Stripe balance did not cover the refund.",
    "lost_or_stolen_card": "The card was reported lost or stolen; offer store credit, or ask a manager.",
    "merchant_request": "The refund was cancelled at the shop's request.",
    "unknown": "Stripe did not say why the refund failed.",
}
CANCELED_REASON = "The refund was canceled before it was paid (at Stripe, or at the shop's request)."

# The same, in words for the customer: never a provider's raw error.
CUSTOMER_WORDS = {
    "declined": "Your bank declined the refund; we are looking into it and will be in touch.",
    "expired_or_canceled_card": (
        "Your card has expired or was cancelled, so the refund could not go back to it; we will be in touch "
        "about another way to pay you."
    ),
    "lost_or_stolen_card": (
        "The card you paid with was reported lost or stolen, so the refund could not go back to it; we will be "
        "in touch about another way to pay you."
    ),
    "canceled": "Your refund was cancelled before it was paid; we are looking into it and will be in touch.",
}
CUSTOMER_WORDS_DEFAULT = "Your refund did not go through; we are looking into it and will be in touch."


def failure_words(*, status: str, failure: str, provider: str = Refund.Provider.STRIPE) -> tuple[str, str, str]:
    """(code, words for staff, words for the customer) for a failed or canceled refund.

    `failure` is Stripe's failure code, the full text of an error (kept for staff only), or a VA's own
    words for a manual refund that failed.
    """
    if provider == Refund.Provider.MANUAL and failure not in FAILURE_REASONS:
        return "manual", failure[:255], CUSTOMER_WORDS_DEFAULT
    if status == Refund.Status.CANCELED and failure in ("", "unknown", "merchant_request"):
        code = failure or "canceled"
        return (
            code,
            (FAILURE_REASONS[failure] if failure == "merchant_request" else CANCELED_REASON),
            (CUSTOMER_WORDS["canceled"]),
        )
    if failure in FAILURE_REASONS or not failure:
        code = failure or "unknown"
        return code, FAILURE_REASONS[code], CUSTOMER_WORDS.get(code, CUSTOMER_WORDS_DEFAULT)
    return "provider_error", f"Stripe refused the refund: {failure}"[:255], CUSTOMER_WORDS_DEFAULT


def _timeline(refund: Refund, body: str, *, by: Actor, kind: str = "refund", visible: bool = False) -> None:
    record_event(
        return_request=refund.return_request,
        kind=kind,
        by=by,
        body=body,
        visible_to_customer=visible,
        data={"refund_id": refund.pk},
    )


def refund_record_for_return(*, return_request, by: Actor, amount: int, reference: str = "") -> tuple[Refund, dict]:
    """Record a refund of `amount` for the return, through the order's money rule and the VA's limit.

    The caller holds the order and return locks. A manual refund (an order not paid through Stripe) is
    money already moved outside the app: it is recorded with its reference, never "sent".
    Returns the refund and the figures the decision was made on, for the timeline.
    """
    rr = return_request
    order = rr.order
    if rr.currency != order.currency:
        raise ServiceError(f"The return is in {rr.currency} but the order was paid in {order.currency}.")
    if rr.refunds.filter(status__in=(Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)).exists():
        raise ServiceError("A refund for this return is already on its way.")
    decision = money_rule.authorize(return_request=rr, amount=amount, by=by, what="refund")
    provider = provider_name_for(order.payment_reference)
    reference = reference.strip()
    if provider == Refund.Provider.STRIPE and reference:
        raise ServiceError("This order was paid through Stripe: the refund goes through Stripe, with no reference.")
    if provider == Refund.Provider.MANUAL and not reference:
        raise ServiceError(
            "This order was not paid through Stripe: make the refund in your bank or back office first, then "
            "record its payment reference here."
        )
    attempt = (rr.refunds.order_by("-attempt").values_list("attempt", flat=True).first() or 0) + 1
    now = clock.now()
    refund = Refund.objects.create(
        return_request=rr,
        order=order,
        attempt=attempt,
        amount=amount,
        currency=rr.currency,
        provider=provider,
        provider_refund_id=reference,
        idempotency_key=f"refund-{rr.rma_number}-attempt-{attempt}",
        requested_by=by.user if by.kind == Actor.STAFF else None,
        created_at=now,
        updated_at=now,
    )
    enqueue_on_commit("returns_desk.payments.tasks.send_refund", refund.pk)
    return refund, {**decision, "refund_id": refund.pk, "provider": provider}


def _lock_refund(refund_id: int) -> Refund:
    """Lock order, return and refund, in that order, like every money service (no deadlock cycles).

    `of=("self",)` keeps PostgreSQL from locking the joined rows as well, in an order of its choosing.
    """
    ids = Refund.objects.values("order_id", "return_request_id").get(pk=refund_id)
    lock_order_then_return(order_id=ids["order_id"], return_id=ids["return_request_id"])
    return Refund.objects.select_for_update(of=("self",)).select_related("order", "return_request").get(pk=refund_id)


def refund_claim_for_sending(*, refund_id: int) -> Refund | None:
    """Take a short lease on a pending refund so that one worker at a time talks to the provider.

    Returns the refund with `send_attempts` as it was before this attempt, or None when the refund is
    no longer pending or another worker holds the lease.
    """
    now = clock.now()
    lease = dt.timedelta(seconds=settings.STRIPE_TIMEOUT_SECONDS * 3 + 30)
    with transaction.atomic():
        refund = _lock_refund(refund_id)
        if refund.status != Refund.Status.PENDING or (refund.sending_until and refund.sending_until > now):
            return None
        previous = refund.send_attempts
        refund.send_attempts = previous + 1
        refund.sending_until = now + lease
        refund.save(update_fields=["send_attempts", "sending_until"])
    refund.send_attempts = previous
    return refund


def refunds_lost() -> list[int]:
    """Pending Stripe refunds that no worker is sending and no task will send: their task vanished.

    With the Redis broker a task taken by a worker that is then killed is gone. Such a refund is one never
    claimed REFUND_UNCLAIMED_AFTER_SECONDS after it was recorded (its queued task was lost), one whose
    sending lease ran out with no answer recorded (its worker died while asking), or one whose retry after a
    provider error is overdue by that margin (the retry's task was lost). One past its automatic retries is
    reconciliation's, and one Stripe has already answered for has its id: neither is listed.
    """
    now = clock.now()
    grace = dt.timedelta(seconds=settings.REFUND_UNCLAIMED_AFTER_SECONDS)
    delays = settings.REFUND_RETRY_DELAYS_SECONDS
    candidates = (
        Refund.objects.filter(provider=Refund.Provider.STRIPE, status=Refund.Status.PENDING, provider_refund_id="")
        .filter(Q(sending_until__lte=now) | Q(sending_until__isnull=True, updated_at__lte=now - grace))
        .order_by("updated_at")
        .values_list("pk", "sending_until", "send_attempts", "updated_at")
    )
    lost: list[int] = []
    for refund_id, lease, attempts, updated_at in candidates:
        retry_due = updated_at + dt.timedelta(seconds=delays[attempts - 1]) if 0 < attempts <= len(delays) else None
        if lease is not None or attempts == 0 or (retry_due is not None and retry_due + grace <= now):
            lost.append(refund_id)
    return lost


def refund_record_provider_error(*, refund_id: int, error: str) -> Refund:
    """The provider could not be asked: keep the refund pending, say so on the timeline, retry later."""
    with transaction.atomic():
        refund = _lock_refund(refund_id)
        refund.last_error = error
        refund.sending_until = None
        refund.updated_at = clock.now()
        refund.save(update_fields=["last_error", "sending_until", "updated_at"])
        delays = settings.REFUND_RETRY_DELAYS_SECONDS
        if refund.send_attempts <= len(delays):
            delay = delays[refund.send_attempts - 1]
            enqueue_later("returns_desk.payments.tasks.send_refund", refund.pk, delay_seconds=delay)
            plan = f"Trying again in {delay // 60 or delay} {'min' if delay >= 60 else 's'} with the same key."
        else:
            plan = "No more automatic retries; reconciliation keeps checking with Stripe."
        _timeline(
            refund,
            f"Could not reach the payment provider (attempt {refund.send_attempts}): {error}. {plan}",
            by=Actor.system(),
        )
    return refund


def _already_recorded(refund: Refund, status: str, provider_refund_id: str, *, late_failure: bool) -> bool:
    """A repeated or late answer must not move money or state again."""
    return (refund.status in FINAL_REFUND_STATUSES and not late_failure) or (
        refund.status == status and provider_refund_id in ("", refund.provider_refund_id)
    )


def _reopen_after_late_failure(refund: Refund, *, by: Actor, code: str, staff_words: str, customer_words: str):
    rr = refund.return_request
    return_raise_priority(return_request=rr, priority=Priority.URGENT)
    if rr.status not in (ReturnStatus.RESOLVED, ReturnStatus.CLOSED):
        _timeline(refund, f"Stripe now reports the refund of {refund.amount_display} failed: {staff_words}", by=by)
        return
    run_transition(
        return_request=rr,
        action="refund_failed",
        by=by,
        body=(
            f"Stripe now reports the refund of {refund.amount_display} failed after succeeding: "
            f"{staff_words} The money step is open again: retry, store credit, or ask a manager."
        ),
        customer_body=customer_words,
        data={"refund_id": refund.pk, "late_failure": True, "failure_code": code},
    )


def _settle_pending_return(refund: Refund, *, by: Actor, code: str, staff_words: str, customer_words: str):
    """The answer to the refund a return is waiting for: resolved, or back to the desk with what failed."""
    if refund.status == Refund.Status.SUCCEEDED:
        run_transition(
            return_request=refund.return_request,
            action="refund_succeeded",
            by=by,
            body=f"{refund.amount_display} refunded (reference {refund.provider_refund_id}).",
            customer_body=f"Your refund of {refund.amount_display} is complete.",
            data={"refund_id": refund.pk},
        )
    elif refund.status in (Refund.Status.FAILED, Refund.Status.CANCELED):
        run_transition(
            return_request=refund.return_request,
            action="refund_failed",
            by=by,
            body=staff_words,
            customer_body=customer_words,
            data={"refund_id": refund.pk, "failure_code": code},
        )


def refund_record_outcome(
    *, refund_id: int, status: str, by: Actor, provider_refund_id: str = "", failure_reason: str = ""
) -> Refund:
    """Apply the provider's answer to a refund and move its return on. Repeating an answer changes nothing.

    A refund that fails after it had succeeded (Stripe's late failure) gives its money back to the order's
    rule and reopens the money step on the return, with the same choices as any failure.
    """
    if status not in Refund.Status.values:
        raise ServiceError(f"Unknown refund status {status!r}.")
    with transaction.atomic():
        refund = _lock_refund(refund_id)
        late_failure = refund.status == Refund.Status.SUCCEEDED and status == Refund.Status.FAILED
        if _already_recorded(refund, status, provider_refund_id, late_failure=late_failure):
            if refund.sending_until:
                Refund.objects.filter(pk=refund.pk).update(sending_until=None)
            return refund
        failed = status in (Refund.Status.FAILED, Refund.Status.CANCELED)
        code, staff_words, customer_words = (
            failure_words(status=status, failure=failure_reason, provider=refund.provider) if failed else ("",) * 3
        )
        refund.status = status
        refund.provider_refund_id = provider_refund_id or refund.provider_refund_id
        refund.failure_code, refund.failure_reason = code, staff_words
        if code == "provider_error":
            refund.last_error = failure_reason
        refund.sending_until = None
        refund.updated_at = clock.now()
        refund.save()
        words = {"code": code, "staff_words": staff_words, "customer_words": customer_words}
        if late_failure:
            _reopen_after_late_failure(refund, by=by, **words)
        elif status == Refund.Status.REQUIRES_ACTION:
            _timeline(
                refund,
                "Stripe needs action before this refund can complete (for example, the customer's "
                "bank details). Check the refund in the Stripe dashboard.",
                by=by,
            )
        elif refund.return_request.status == ReturnStatus.REFUND_PENDING:
            _settle_pending_return(refund, by=by, **words)
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


# --- store credit -----------------------------------------------------------------------------------
