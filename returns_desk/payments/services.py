"""Writes about money: refunds in two phases, store credit, and disputes.

Phase one (inside the return's transaction): our own checks, then a `Refund` row with its idempotency
key. Phase two (a task, on commit, outside any transaction): the provider is called with that key,
and its answer is recorded by `refund_record_outcome`. Lock order everywhere: order, then return,
then the refund.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ActionForbidden, ServiceError
from returns_desk.core.money import format_money, percent_of
from returns_desk.core.tasks import enqueue_later, enqueue_on_commit
from returns_desk.orders.models import Order

from . import money_rule
from .models import Dispute, Refund, StoreCredit, new_store_credit_code
from .providers import provider_name_for

FINAL_REFUND_STATUSES = (Refund.Status.SUCCEEDED, Refund.Status.FAILED, Refund.Status.CANCELED)
STORE_CREDIT_VALID_DAYS = 365

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
            (FAILURE_REASONS.get(failure) if failure == "merchant_request" else CANCELED_REASON),
            (CUSTOMER_WORDS["canceled"]),
        )
    if failure in FAILURE_REASONS or not failure:
        code = failure or "unknown"
        return code, FAILURE_REASONS[code], CUSTOMER_WORDS.get(code, CUSTOMER_WORDS_DEFAULT)
    return "provider_error", f"Stripe refused the refund: {failure}"[:255], CUSTOMER_WORDS_DEFAULT


def _timeline(refund: Refund, body: str, *, by: Actor, kind: str = "refund", visible: bool = False) -> None:
    from returns_desk.returns.services import return_record_event

    return_record_event(
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
    from returns_desk.returns.services import lock_order_then_return

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


def refund_record_outcome(
    *, refund_id: int, status: str, by: Actor, provider_refund_id: str = "", failure_reason: str = ""
) -> Refund:
    """Apply the provider's answer to a refund and move its return on. Repeating an answer changes nothing.

    A refund that fails after it had succeeded (Stripe's late failure) gives its money back to the order's
    rule and reopens the money step on the return, with the same choices as any failure.
    """
    from returns_desk.returns.models import Priority, ReturnStatus
    from returns_desk.returns.services import return_raise_priority, run_transition

    if status not in Refund.Status.values:
        raise ServiceError(f"Unknown refund status {status!r}.")
    with transaction.atomic():
        refund = _lock_refund(refund_id)
        late_failure = refund.status == Refund.Status.SUCCEEDED and status == Refund.Status.FAILED
        if (refund.status in FINAL_REFUND_STATUSES and not late_failure) or (
            refund.status == status and provider_refund_id in ("", refund.provider_refund_id)
        ):
            if refund.sending_until:
                Refund.objects.filter(pk=refund.pk).update(sending_until=None)
            return refund  # already processed: a repeated or late answer must not move money or state
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
        rr = refund.return_request
        if late_failure:
            return_raise_priority(return_request=rr, priority=Priority.URGENT)
            if rr.status in (ReturnStatus.RESOLVED, ReturnStatus.CLOSED):
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
            else:
                _timeline(
                    refund, f"Stripe now reports the refund of {refund.amount_display} failed: {staff_words}", by=by
                )
        elif status == Refund.Status.REQUIRES_ACTION:
            _timeline(
                refund,
                "Stripe needs action before this refund can complete (for example, the customer's "
                "bank details). Check the refund in the Stripe dashboard.",
                by=by,
            )
        elif rr.status == ReturnStatus.REFUND_PENDING:
            if status == Refund.Status.SUCCEEDED:
                run_transition(
                    return_request=rr,
                    action="refund_succeeded",
                    by=by,
                    body=f"{refund.amount_display} refunded (reference {refund.provider_refund_id}).",
                    customer_body=f"Your refund of {refund.amount_display} is complete.",
                    data={"refund_id": refund.pk},
                )
            elif failed:
                run_transition(
                    return_request=rr,
                    action="refund_failed",
                    by=by,
                    body=staff_words,
                    customer_body=customer_words,
                    data={"refund_id": refund.pk, "failure_code": code},
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


# --- store credit -----------------------------------------------------------------------------------


def store_credit_issue_for_return(*, return_request, by: Actor, base: int) -> tuple[StoreCredit, dict]:
    """Issue `base` of the return's money as store credit, plus the bonus its quoted terms give, with a new code.

    The base counts against the order's money rule; the bonus is the shop's gift, kept apart (and never more
    than the quoted percentage). Base and bonus together count against the VA's limit. The caller holds the locks.
    """
    rr = return_request
    percent = rr.quoted_terms().terms.store_credit_bonus_percent
    bonus = percent_of(base, percent) if base > 0 else 0
    why = money_rule.bonus_refusal(base=base, bonus=bonus, percent=percent, currency=rr.currency)
    if why:
        raise ServiceError(why)
    decision = money_rule.authorize(
        return_request=rr, amount=base, counted=base + bonus, by=by, what="issue as store credit"
    )
    note = f"For {rr.rma_number}"
    if bonus:
        note += f", including a {percent:g}% bonus of {format_money(bonus, rr.currency)}"
    now = clock.now()
    entry = StoreCredit.objects.create(
        email=rr.email.lower(),
        kind=StoreCredit.Kind.ISSUE,
        amount=base + bonus,
        bonus=bonus,
        currency=rr.currency,
        code=new_store_credit_code(),
        return_request=rr,
        expires_on=(now + dt.timedelta(days=STORE_CREDIT_VALID_DAYS)).date(),
        note=note,
        created_by=by.user if by.kind == Actor.STAFF else None,
        created_at=now,
    )
    return entry, {**decision, "store_credit_code": entry.code, "bonus": bonus, "credit_total": base + bonus}


def exchange_authorize(*, return_request, value: int, settled: int, by: Actor) -> dict:
    """An exchange gives back the replacements' value: within the money rule, and what it costs beyond the
    settled amount counts against the VA's limit. The caller holds the locks and ships the replacements."""
    return money_rule.authorize(
        return_request=return_request, amount=value, counted=max(0, value - settled), by=by, what="exchange for"
    )


def store_credit_redeem(*, code: str, amount: int, by: Actor, note: str = "") -> StoreCredit:
    """Spend part or all of a code's balance (at checkout, or by staff on the customer's behalf)."""
    from returns_desk.returns.permissions import is_agent

    if by.kind == Actor.STAFF and not is_agent(by.user):
        raise ActionForbidden("Only desk staff can redeem store credit.")
    code = (code or "").strip().upper()
    if amount <= 0:
        raise ServiceError("Redeem an amount above zero.")
    with transaction.atomic():
        issued = StoreCredit.objects.select_for_update().filter(code=code, kind=StoreCredit.Kind.ISSUE).first()
        if issued is None:
            raise ServiceError(f"No store credit with the code {code}.")
        if issued.expires_on and issued.expires_on < clock.today():
            raise ServiceError(f"{code} expired on {issued.expires_on:%d %B %Y}.")
        balance = StoreCredit.objects.filter(code=code).aggregate(s=Sum("amount"))["s"] or 0
        if amount > balance:
            raise ServiceError(
                f"{code} has {format_money(balance, issued.currency)} left; "
                f"{format_money(amount, issued.currency)} is too much."
            )
        return StoreCredit.objects.create(
            email=issued.email,
            kind=StoreCredit.Kind.REDEEM,
            amount=-amount,
            currency=issued.currency,
            code=code,
            note=note.strip()[:255],
            created_by=by.user if by.kind == Actor.STAFF else None,
            created_at=clock.now(),
        )


def store_credit_expire_due() -> int:
    """Write an expiry entry for every code past its date that still has a balance. Runs daily."""
    today = clock.today()
    expired = 0
    due = StoreCredit.objects.filter(kind=StoreCredit.Kind.ISSUE, expires_on__lt=today).values_list("code", flat=True)
    for code in due.iterator():
        with transaction.atomic():
            issued = StoreCredit.objects.select_for_update().get(code=code, kind=StoreCredit.Kind.ISSUE)
            balance = StoreCredit.objects.filter(code=code).aggregate(s=Sum("amount"))["s"] or 0
            if balance > 0:
                StoreCredit.objects.create(
                    email=issued.email,
                    kind=StoreCredit.Kind.EXPIRE,
                    amount=-balance,
                    currency=issued.currency,
                    code=code,
                    note=f"Expired on {issued.expires_on:%d %B %Y}",
                    created_at=clock.now(),
                )
                expired += 1
    return expired


# --- disputes -----------------------------------------------------------------------------------------


class DisputeNotForDesk(ServiceError):
    """A Stripe dispute about a payment no order of the desk was made with: nothing applies, nothing is written."""


def dispute_apply_stripe(*, obj: dict, event_created: dt.datetime, event_type: str) -> Dispute:
    """Create or update our copy of a Stripe dispute from an event; older events never overwrite newer ones.

    The status is kept as Stripe sends it: one the desk does not know yet counts as open, so it blocks
    refunds. `funds_withdrawn` follows the money and the order's money rule counts it as given back: set by
    Stripe's funds-withdrawn event (sent when most disputes open) and by a loss, cleared by the
    funds-reinstated event and by a win. The order is locked first, as for every money write, then the
    dispute. Raises `DisputeNotForDesk`, having written nothing, for a payment no order was paid with.
    """
    from returns_desk.returns.models import Priority, ReturnRequest
    from returns_desk.returns.services import return_raise_priority, return_record_event

    dispute_id = obj["id"]
    charge = _stripe_id(obj.get("charge"))
    payment_intent = _stripe_id(obj.get("payment_intent"))
    references = [r for r in (payment_intent, charge) if r]
    order = Order.objects.filter(payment_reference__in=references).first() if references else None
    if order is None:
        about = f"{payment_intent} (charge {charge})" if payment_intent and charge else (references or ["a payment"])[0]
        raise DisputeNotForDesk(f"dispute {dispute_id} is about {about} which no order of the desk was paid with")
    due_by = (obj.get("evidence_details") or {}).get("due_by")
    with transaction.atomic():
        Order.objects.select_for_update().filter(pk=order.pk).values_list("pk", flat=True).get()
        dispute = Dispute.objects.select_for_update().filter(stripe_dispute_id=dispute_id).first()
        created = dispute is None
        if not created and dispute.last_event_at and event_created < dispute.last_event_at:
            return dispute  # an older event arriving late
        status = _dispute_status(obj.get("status"), dispute)
        amount = int(obj["amount"]) if obj.get("amount") is not None else (0 if created else dispute.amount)
        previous_status = None if created else dispute.status
        values = {
            "order": order,
            "charge_id": charge,
            "payment_intent_id": payment_intent,
            "status": status,
            "reason": obj.get("reason") or "",
            "amount": amount,
            "currency": (obj.get("currency") or order.currency).upper(),
            "funds_withdrawn": _funds_withdrawn(
                event_type, status, amount, before=0 if created else dispute.funds_withdrawn
            ),
            "evidence_due_by": dt.datetime.fromtimestamp(due_by, tz=dt.UTC) if due_by else None,
            "last_event_at": event_created,
            "updated_at": clock.now(),
        }
        repeat = (
            not created
            and event_created == dispute.last_event_at
            and (status, values["funds_withdrawn"]) == (dispute.status, dispute.funds_withdrawn)
        )
        if repeat:
            return dispute  # the same event applied again (processed again by a manager): no second news
        if created:
            rr = ReturnRequest.objects.filter(order=order).order_by("-created_at").first()
            dispute = Dispute.objects.create(
                stripe_dispute_id=dispute_id, return_request=rr, created_at=clock.now(), **values
            )
        else:
            for field, value in values.items():
                setattr(dispute, field, value)
            dispute.save()
            if previous_status == dispute.status and event_type == "charge.dispute.updated":
                return dispute
        if dispute.return_request_id:
            return_record_event(
                return_request=dispute.return_request,
                kind="dispute",
                by=Actor.stripe(),
                body=_dispute_news(dispute, event_type, created, previous_status=previous_status),
                data={"dispute_id": dispute.pk, "event_type": event_type, "funds_withdrawn": dispute.funds_withdrawn},
            )
            if created and dispute.is_open:
                return_raise_priority(return_request=dispute.return_request, priority=Priority.URGENT)
    return dispute


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
SETTLED_WORDS = {
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
    from returns_desk.policies.selectors import active_policy

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
    from returns_desk.returns.permissions import is_manager

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
    from returns_desk.returns.permissions import is_manager

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
    from returns_desk.returns.services import return_record_event

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
        if dispute.return_request_id:
            body = (
                f"Sending dispute evidence to Stripe failed: {error}"
                if error
                else "Dispute evidence submitted to the bank."
                if submit
                else "Dispute evidence staged at Stripe."
            )
            return_record_event(
                return_request=dispute.return_request,
                kind="dispute",
                by=Actor.system(),
                body=body,
                data={"dispute_id": dispute.pk},
            )
    return dispute
