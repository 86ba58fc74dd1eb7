"""What is held about one customer email: the rows of every app that name them, found once by id.

A customer is their email address (any case): the orders placed with it, the returns of those orders (or made
with it), the emails it sent or that were filed on those returns, the emails sent to it, its store credit and the
desk's flag on it. Export and erasure start from the same `Holdings`, so they cover the same rows.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from returns_desk.customers.services import is_erased, normalise_email
from returns_desk.desk.models import DeskNotification
from returns_desk.documents.models import Document
from returns_desk.notifications.models import InboundAttachment, InboundEmail, OutboundEmail
from returns_desk.orders.models import Order
from returns_desk.payments.models import Dispute, Refund, StoreCredit
from returns_desk.returns.models import OPEN_STATUSES, ReturnEvent, ReturnPhoto, ReturnRequest

ACTIVE_REFUNDS = (Refund.Status.PENDING, Refund.Status.REQUIRES_ACTION)


@dataclass(frozen=True)
class Holdings:
    email: str  # lower case
    order_ids: tuple[int, ...]
    return_ids: tuple[int, ...]
    inbound_ids: tuple[int, ...]  # sent from the address, or filed on one of its returns
    outbound_ids: tuple[int, ...]  # sent to the address, about its returns, or answering its emails
    store_credit_ids: tuple[int, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.order_ids or self.return_ids or self.inbound_ids or self.outbound_ids)

    # --- the rows, as querysets over the ids --------------------------------------------------------

    def orders(self) -> QuerySet[Order]:
        return Order.objects.filter(pk__in=self.order_ids)

    def returns(self) -> QuerySet[ReturnRequest]:
        return ReturnRequest.objects.filter(pk__in=self.return_ids)

    def photos(self) -> QuerySet[ReturnPhoto]:
        return ReturnPhoto.objects.filter(item__return_request_id__in=self.return_ids)

    def events(self) -> QuerySet[ReturnEvent]:
        """Their returns' timelines, and the entries elsewhere that hold an email they sent."""
        return ReturnEvent.objects.filter(
            Q(return_request_id__in=self.return_ids) | Q(data__inbound_email_id__in=self.inbound_ids)
        )

    def inbound(self) -> QuerySet[InboundEmail]:
        return InboundEmail.objects.filter(pk__in=self.inbound_ids)

    def inbound_from_them(self) -> QuerySet[InboundEmail]:
        return self.inbound().filter(from_email__iexact=self.email)

    def attachments(self) -> QuerySet[InboundAttachment]:
        return InboundAttachment.objects.filter(inbound_id__in=self.inbound_ids)

    def outbound(self) -> QuerySet[OutboundEmail]:
        return OutboundEmail.objects.filter(pk__in=self.outbound_ids)

    def outbound_to_them(self) -> QuerySet[OutboundEmail]:
        return self.outbound().filter(to_email__iexact=self.email)

    def store_credit(self) -> QuerySet[StoreCredit]:
        return StoreCredit.objects.filter(pk__in=self.store_credit_ids)

    def refunds(self) -> QuerySet[Refund]:
        return Refund.objects.filter(Q(return_request_id__in=self.return_ids) | Q(order_id__in=self.order_ids))

    def disputes(self) -> QuerySet[Dispute]:
        return Dispute.objects.filter(order_id__in=self.order_ids)

    def documents(self) -> QuerySet[Document]:
        return Document.objects.filter(return_request_id__in=self.return_ids)

    def desk_notices(self) -> QuerySet[DeskNotification]:
        return DeskNotification.objects.filter(return_request_id__in=self.return_ids)


def _ids(queryset) -> tuple[int, ...]:
    return tuple(queryset.order_by("pk").values_list("pk", flat=True))


def customer_holdings(email: str, *, lock: bool = False) -> Holdings:
    """Everything held about `email`, by id. With `lock`, the customer's orders are locked first (the lock a new
    return takes), so no return of theirs can open while the caller works."""
    email = normalise_email(email)
    orders = Order.objects.filter(email__iexact=email)
    if lock:
        orders = orders.select_for_update()
    order_ids = _ids(orders)
    return_ids = _ids(ReturnRequest.objects.filter(Q(order_id__in=order_ids) | Q(email__iexact=email)))
    inbound_ids = _ids(InboundEmail.objects.filter(Q(from_email__iexact=email) | Q(return_request_id__in=return_ids)))
    # A staff member's "the customer wrote" email names no return by key, only in its event key.
    staff_notices = Q()
    for pk in return_ids:
        staff_notices |= Q(kind="customer_wrote", event_key__startswith=f"customer-wrote:{pk}:")
    outbound = OutboundEmail.objects.filter(
        Q(to_email__iexact=email) | Q(return_request_id__in=return_ids) | Q(inbound_id__in=inbound_ids) | staff_notices
    )
    credit = StoreCredit.objects.filter(Q(email__iexact=email) | Q(return_request_id__in=return_ids))
    return Holdings(
        email=email,
        order_ids=order_ids,
        return_ids=return_ids,
        inbound_ids=inbound_ids,
        outbound_ids=_ids(outbound),
        store_credit_ids=_ids(credit),
    )


def erasure_blockers(held: Holdings) -> list[str]:
    """Why this customer cannot be erased now, in words for the manager; empty when they can.

    Erasure waits for what still needs the customer's details: an open return (its emails, label and refund go
    to them), a refund the provider has not confirmed, a chargeback whose evidence is still being decided.
    """
    if is_erased(held.email):
        return ["This is an erased customer's placeholder: nothing personal is left to erase."]
    reasons = []
    open_returns = list(
        held.returns().filter(status__in=OPEN_STATUSES).order_by("pk").values_list("rma_number", flat=True)
    )
    if open_returns:
        reasons.append(
            f"{_listed(open_returns)} {'is' if len(open_returns) == 1 else 'are'} still open: close, cancel or "
            "finish them first."
        )
    if held.refunds().filter(status__in=ACTIVE_REFUNDS).exists():
        reasons.append("A refund is waiting for the payment provider's answer.")
    open_disputes = held.disputes().exclude(status__in=Dispute.FINAL_STATUSES).select_related("order")
    for dispute in open_disputes:
        reasons.append(f"A chargeback on order {dispute.order.number} is open; its evidence is kept until it closes.")
    return reasons


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def holdings_summary(held: Holdings) -> dict[str, int]:
    """How much is held, counted (the page's overview, and what the audit log says was exported or erased)."""
    return {
        "orders": len(held.order_ids),
        "returns": len(held.return_ids),
        "photos": held.photos().count(),
        "timeline entries by the customer": held.events().filter(actor_kind=ReturnEvent.ActorKind.CUSTOMER).count(),
        "emails received": len(held.inbound_ids),
        "emails sent": held.outbound_to_them().count(),
        "refunds": held.refunds().count(),
        "store credit entries": len(held.store_credit_ids),
    }
