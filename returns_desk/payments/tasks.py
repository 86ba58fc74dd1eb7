"""Worker tasks for payments. They take ids, load, and call a service."""

from returns_desk.core.actors import Actor

from .models import Refund
from .providers import provider_for
from .services import refund_record_outcome


def send_refund(refund_id: int) -> str:
    """Phase two of a refund: ask the provider (outside any transaction), then record its answer."""
    refund = Refund.objects.get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return f"refund {refund_id} is {refund.status}; nothing to send"
    answer = provider_for(refund.provider).send_refund(refund)
    if answer.status == Refund.Status.PENDING and not answer.provider_refund_id:
        return f"refund {refund_id} waits for its provider"
    refund_record_outcome(
        refund_id=refund.pk,
        status=answer.status,
        by=Actor.system(),
        provider_refund_id=answer.provider_refund_id,
        failure_reason=answer.failure_reason,
    )
    return f"refund {refund_id} is {answer.status}"
