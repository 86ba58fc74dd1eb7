"""The bell: who hears that a customer wrote, what they read, and marking it read.

A customer's message is for whoever answers the ticket: its assignee, or every manager while nobody is
assigned. Each gets an in-app notice and, if their profile says so, an email (through the outbox).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from returns_desk.core import clock
from returns_desk.desk.queues.counts import invalidate_counts
from returns_desk.notifications.services import email_staff_customer_wrote
from returns_desk.returns.events import CustomerWrote
from returns_desk.returns.models import ReturnRequest
from returns_desk.staff.roles import MANAGERS

from .models import DeskNotification

SNIPPET_CHARS = 120
LIST_SIZE = 30


def _who_answers(rr: ReturnRequest) -> list:
    if rr.assignee_id:
        return [rr.assignee]
    managers = get_user_model().objects.filter(Q(groups__name=MANAGERS) | Q(is_superuser=True), is_active=True)
    return list(managers.distinct().select_related("staff_profile"))


def _words(wrote: CustomerWrote) -> str:
    rr = wrote.return_request
    who = rr.customer_name or rr.email
    said = " ".join(((wrote.event.body if wrote.event else "") or "").split())
    if len(said) > SNIPPET_CHARS:
        said = said[: SNIPPET_CHARS - 1] + "…"
    return f"{rr.rma_number}: {who} wrote" + (f" “{said}”" if said else "")


def notify_customer_wrote(wrote: CustomerWrote) -> None:
    """Subscribed to `CustomerWrote` (inside its transaction): a notice each, and emails for those who chose."""
    rr, text, now = wrote.return_request, _words(wrote), clock.now()
    people = _who_answers(rr)
    DeskNotification.objects.bulk_create(
        DeskNotification(user=person, return_request=rr, text=text, created_at=now) for person in people
    )
    transaction.on_commit(invalidate_counts)  # the "Customer replied" count, at once rather than in 10 s
    for person in people:
        profile = getattr(person, "staff_profile", None)
        if profile is not None and profile.email_on_customer_reply and person.email:
            email_staff_customer_wrote(to=person, return_request=rr, text=text)


def unread_count(user) -> int:
    return DeskNotification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class NoticeList:
    notices: list
    unread: int


def notices_for(user) -> NoticeList:
    """The latest notices (unread first among equals by time), with the unread count: two queries."""
    latest: QuerySet = DeskNotification.objects.filter(user=user).select_related("return_request")
    return NoticeList(list(latest.order_by("-created_at", "-id")[:LIST_SIZE]), unread_count(user))


def notices_mark_read(*, user, notice_id: int | None = None, return_request_id: int | None = None) -> int:
    """Mark one notice, a ticket's, or all of this user's read; returns how many changed."""
    unread = DeskNotification.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        unread = unread.filter(pk=notice_id)
    if return_request_id is not None:
        unread = unread.filter(return_request_id=return_request_id)
    return unread.update(read_at=clock.now())
