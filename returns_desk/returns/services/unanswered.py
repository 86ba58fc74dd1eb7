"""Whether the customer is waiting for us: set by any message of theirs, in any state of the return (resolved and
closed included), with a reply target from the policy; cleared by a reply to them. An internal note changes
nothing. The return's own state is not touched: the conversation reopens beside it."""

from django.db import transaction

from returns_desk.core import clock
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import sla
from returns_desk.returns.events import CustomerWrote, publish
from returns_desk.returns.models import ReturnEvent, ReturnRequest

from .locks import lock_return


def conversation_customer_wrote(*, return_request: ReturnRequest, event: ReturnEvent | None = None) -> None:
    """The customer is now waiting for us (since their oldest unanswered message); tell whoever answers."""
    with transaction.atomic():
        rr = lock_return(return_request)
        first = rr.awaiting_reply_since is None
        if first:
            now = event.created_at if event is not None else clock.now()
            due = sla.reply_due(now, sla.ReplyTarget.from_policy(active_policy()))
            ReturnRequest.objects.filter(pk=rr.pk).update(awaiting_reply_since=now, reply_due_at=due)
            rr.awaiting_reply_since, rr.reply_due_at = now, due
        return_request.awaiting_reply_since, return_request.reply_due_at = rr.awaiting_reply_since, rr.reply_due_at
        publish(CustomerWrote(return_request=rr, event=event, first=first))


def conversation_answered(*, return_request: ReturnRequest) -> None:
    """A reply reached the customer: nobody is waiting for us any more."""
    ReturnRequest.objects.filter(pk=return_request.pk, awaiting_reply_since__isnull=False).update(
        awaiting_reply_since=None, reply_due_at=None
    )
    return_request.awaiting_reply_since = return_request.reply_due_at = None
