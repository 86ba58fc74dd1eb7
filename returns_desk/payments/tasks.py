"""Worker tasks for payments. They take ids, load, call the provider or a service, and record the answer."""

import datetime as dt
import logging
import time

from django.conf import settings

from returns_desk.core import clock
from returns_desk.core.actors import Actor

from . import gateway
from .models import Dispute, Refund
from .providers import ProviderUnavailable, provider_for
from .services import (
    dispute_record_evidence_sent,
    refund_claim_for_sending,
    refund_record_outcome,
    refund_record_provider_error,
    store_credit_expire_due,
)
from .services.refunds import refunds_lost
from .webhooks import process_stored_event

log = logging.getLogger(__name__)

# The sweep stops starting sends after this long, well inside the cluster's task timeout (120 s): with Stripe
# slow, a send may take two timeouts. What is left waits for the next run, a minute later.
SWEEP_BUDGET_SECONDS = 60


def send_refund(refund_id: int) -> str:
    """Phase two of a refund: ask the provider (outside any transaction), then record its answer.

    Safe to run twice or concurrently: a lease lets one worker at a time ask, the idempotency key makes
    a repeated request return the same refund, and a resend first looks for the refund Stripe made.
    """
    refund = refund_claim_for_sending(refund_id=refund_id)
    if refund is None:
        return f"refund {refund_id}: not pending, or another worker is sending it"
    if refund.provider == Refund.Provider.STRIPE and refund.provider_refund_id:
        refund_record_outcome(
            refund_id=refund.pk, status=refund.status, by=Actor.system(), provider_refund_id=refund.provider_refund_id
        )  # releases the lease
        return f"refund {refund_id}: already with Stripe as {refund.provider_refund_id}"
    try:
        answer = provider_for(refund.provider).send_refund(refund, resend=refund.send_attempts > 0)
    except ProviderUnavailable as error:
        refund_record_provider_error(refund_id=refund.pk, error=str(error))
        return f"refund {refund_id}: provider unavailable ({error})"
    refund_record_outcome(
        refund_id=refund.pk,
        status=answer.status,
        by=Actor.system(),
        provider_refund_id=answer.provider_refund_id,
        failure_reason=answer.failure_reason,
    )
    return f"refund {refund_id}: {answer.status}"


def resend_lost_refunds() -> str:
    """Every minute: send again the refunds whose task vanished (a killed worker), with the same key.

    The refund's lease and idempotency key make this safe beside a task that was only slow: whichever
    claims the refund first sends it, the other finds it leased or no longer pending.
    """
    started = time.monotonic()
    lost = refunds_lost()
    sent = 0
    for refund_id in lost:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        log.warning("Refund %s: its task was lost; sending it again with the same idempotency key", refund_id)
        send_refund(refund_id)
        sent += 1
    return f"resent {sent} of {len(lost)} lost refund(s)"


def reconcile_refunds() -> str:
    """Ask the provider about refunds pending for too long, so a missed webhook never leaves one stuck."""
    cutoff = clock.now() - dt.timedelta(minutes=settings.REFUND_RECONCILE_AFTER_MINUTES)
    stale = Refund.objects.filter(
        provider=Refund.Provider.STRIPE,
        status__in=(Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION),
        updated_at__lte=cutoff,
    ).values_list("pk", flat=True)
    applied = resent = failed = 0
    for refund_id in list(stale):
        refund = Refund.objects.select_related("order").get(pk=refund_id)
        try:
            answer = provider_for(refund.provider).fetch(refund)
        except ProviderUnavailable as error:
            log.warning("Reconciling refund %s: %s", refund_id, error)
            failed += 1
            continue
        if answer is None:
            # Stripe has no refund with our key: the request never arrived. Send it (same key).
            send_refund(refund_id)
            resent += 1
            continue
        refund_record_outcome(
            refund_id=refund_id,
            status=answer.status,
            by=Actor.system(),
            provider_refund_id=answer.provider_refund_id,
            failure_reason=answer.failure_reason,
        )
        applied += 1
    return f"reconciled {applied}, resent {resent}, unreachable {failed}"


def send_dispute_evidence(dispute_id: int, submit: bool) -> str:
    dispute = Dispute.objects.get(pk=dispute_id)
    try:
        gateway.update_dispute_evidence(dispute_id=dispute.stripe_dispute_id, evidence=dispute.evidence, submit=submit)
    except (gateway.GatewayUnavailable, gateway.GatewayRefused) as error:
        dispute_record_evidence_sent(dispute_id=dispute_id, submit=submit, error=str(error))
        return f"dispute {dispute_id}: {error}"
    dispute_record_evidence_sent(dispute_id=dispute_id, submit=submit)
    return f"dispute {dispute_id}: {'submitted' if submit else 'staged'}"


def expire_store_credit() -> str:
    return f"expired {store_credit_expire_due()} store credit codes"


def process_stripe_event(event_id: int) -> str:
    return process_stored_event(event_id)
