"""Reads for the desk's inbox: emails waiting for a person, those dismissed, and what their senders have."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q
from django.db.models.functions import Lower

from returns_desk.orders.models import Order
from returns_desk.orders.selectors import order_number_candidates
from returns_desk.returns.models import ReturnRequest

from .models import InboundEmail

SUGGESTIONS_PER_SENDER = 5


def triage_emails(*, limit: int = 100) -> list[InboundEmail]:
    """The emails no return claimed, newest first, with their files and the answers already sent."""
    waiting = InboundEmail.objects.filter(status=InboundEmail.Status.TRIAGE)
    return list(waiting.prefetch_related("attachments", "replies")[:limit])


def dismissed_emails(*, limit: int = 200) -> list[InboundEmail]:
    dismissed = InboundEmail.objects.filter(status=InboundEmail.Status.DISMISSED).select_related("dismissed_by")
    return list(dismissed.prefetch_related("attachments").order_by("-dismissed_at", "-pk")[:limit])


def triage_count() -> int:
    return InboundEmail.objects.filter(status=InboundEmail.Status.TRIAGE).count()


def returns_of_senders(senders: Iterable[str]) -> dict[str, list[ReturnRequest]]:
    """Each sender's latest returns (by lower-cased address), open ones first: where their email most
    likely belongs. One query for the whole page."""
    addresses = {s.strip().lower() for s in senders if s}
    found: dict[str, list[ReturnRequest]] = defaultdict(list)
    if not addresses:
        return found
    rows = (
        ReturnRequest.objects.annotate(address=Lower("email"))
        .filter(address__in=addresses)
        .only("pk", "rma_number", "email", "status", "created_at", "order_id")
        .order_by("-created_at", "-pk")[: 20 * len(addresses)]
    )
    for rr in rows:
        found[rr.address].append(rr)  # type: ignore[attr-defined]
    for address, returns in found.items():
        returns.sort(key=lambda rr: not rr.is_open)
        found[address] = returns[:SUGGESTIONS_PER_SENDER]
    return found


def orders_of_sender(sender: str, *, limit: int = 10) -> list[Order]:
    """The orders placed with this address, newest first: the ones a return could be opened for."""
    return list(Order.objects.filter(email__iexact=sender.strip()).order_by("-placed_at", "-pk")[:limit])


def order_by_number(number: str) -> Order | None:
    """An order by the number a person typed ("#100123", "100123" for "SO-100123"), with its lines."""
    candidates = order_number_candidates(number)
    if not candidates:
        return None
    matches = Q()
    for candidate in candidates:
        matches |= Q(number__iexact=candidate)
    return Order.objects.filter(matches).prefetch_related("lines").first()
