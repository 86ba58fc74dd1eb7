"""Stripe webhooks: verified, stored once by event id, then processed by a task.

The view only verifies and stores; everything that acts runs in `process_stored_event`, which is
safe to run again: refund outcomes are idempotent and dispute events older than the last one applied
are ignored.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from returns_desk.core import clock
from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.tasks import enqueue_on_commit

from . import gateway
from .models import Refund, StripeEvent
from .services import DisputeNotForDesk, dispute_apply_stripe, refund_record_outcome

log = logging.getLogger(__name__)

ID_MAX_LENGTH = StripeEvent._meta.get_field("stripe_event_id").max_length
REFUND_EVENTS = {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
DISPUTE_EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """400 with the reason for a bad, stale (past STRIPE_WEBHOOK_TOLERANCE_SECONDS) or malformed signature,
    nothing stored; 200 for a new or a repeated event (a replay is stored once, by its event id)."""
    header = request.headers.get("Stripe-Signature")
    if header and not header.isascii():
        return JsonResponse({"error": "Signature check failed: the Stripe-Signature header is not ASCII."}, status=400)
    try:
        event = gateway.verified_event(request.body, header)
    except gateway.WebhookSignatureInvalid as error:
        return JsonResponse({"error": f"Signature check failed: {error}"}, status=400)
    if not all(isinstance(event[key], str) and len(event[key]) <= ID_MAX_LENGTH for key in ("id", "type")):
        return JsonResponse({"error": "The body is not a Stripe event (its id and type are not text)."}, status=400)
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(stripe_event_id=event["id"], type=event["type"], payload=event)
            enqueue_on_commit("returns_desk.payments.tasks.process_stripe_event", stored.pk)
    except IntegrityError:
        return JsonResponse({"received": True, "duplicate": True})
    return JsonResponse({"received": True, "duplicate": False})


def stripe_event_process_again(*, event_id: int) -> None:
    """Run a stored event through the handlers again (after a fix, or to heal a failure). Handlers are
    idempotent: a refund outcome already recorded or a dispute update older than the last changes nothing."""
    with transaction.atomic():
        StripeEvent.objects.filter(pk=event_id).update(status=StripeEvent.Status.RECEIVED, error="")
        enqueue_on_commit("returns_desk.payments.tasks.process_stripe_event", event_id)


def process_stored_event(event_id: int) -> str:
    with transaction.atomic():
        stored = StripeEvent.objects.select_for_update().get(pk=event_id)
        if stored.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
            return f"{stored.stripe_event_id} was already {stored.status}"
    try:
        status, note = _dispatch(stored.payload)
    except ServiceError as error:
        status, note = StripeEvent.Status.FAILED, str(error)
    except Exception as error:
        StripeEvent.objects.filter(pk=event_id).update(status=StripeEvent.Status.FAILED, error=repr(error)[:2000])
        raise  # the worker records the traceback and retries the task
    StripeEvent.objects.filter(pk=event_id).update(status=status, error=note, processed_at=clock.now())
    return f"{stored.stripe_event_id}: {status} {note}".strip()


def _dispatch(event: dict) -> tuple[str, str]:
    kind = event.get("type", "")
    obj = (event.get("data") or {}).get("object") or {}
    created = dt.datetime.fromtimestamp(int(event.get("created") or 0), tz=dt.UTC)
    if kind in REFUND_EVENTS:
        return _apply_refund_object(obj)
    if kind == "charge.refunded":
        refunds = ((obj.get("refunds") or {}).get("data")) or []
        notes = [_apply_refund_object(refund)[1] for refund in refunds]
        return StripeEvent.Status.PROCESSED, "; ".join(n for n in notes if n)
    if kind in DISPUTE_EVENTS:
        try:
            dispute = dispute_apply_stripe(obj=obj, event_created=created, event_type=kind)
        except DisputeNotForDesk as not_ours:
            return StripeEvent.Status.IGNORED, str(not_ours)  # a payment taken outside the desk: not ours to act on
        return StripeEvent.Status.PROCESSED, f"dispute {dispute.stripe_dispute_id} is {dispute.status}"
    return StripeEvent.Status.IGNORED, f"{kind} is not an event the desk acts on"


def _apply_refund_object(obj: dict) -> tuple[str, str]:
    """Match Stripe's refund to ours by its id, or by the idempotency key we put in its metadata."""
    key = (obj.get("metadata") or {}).get("idempotency_key", "")
    refund = Refund.objects.filter(provider_refund_id=obj.get("id", "")).first() if obj.get("id") else None
    if refund is None and key:
        refund = Refund.objects.filter(idempotency_key=key).first()
    if refund is None:
        return StripeEvent.Status.IGNORED, f"refund {obj.get('id')} was not made by the desk"
    status = obj.get("status") or Refund.Status.PENDING
    if status not in Refund.Status.values:
        return StripeEvent.Status.IGNORED, f"unknown refund status {status}"
    refund_record_outcome(
        refund_id=refund.pk,
        status=status,
        by=Actor.stripe(),
        provider_refund_id=obj.get("id", ""),
        failure_reason=obj.get("failure_reason") or "",
    )
    return StripeEvent.Status.PROCESSED, f"refund {refund.pk} is {status}"
