"""A return is one record that is both the customer's ticket and the goods' journey back.

`ReturnRequest.status` moves only through the transition methods below, and those are called only by the
transition engine (`returns.services.engine`), which locks the row, checks the transition, saves and writes
the `ReturnEvent`.
"""

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from returns_desk.core import clock
from returns_desk.core.money import CURRENCY_CHOICES, format_money
from returns_desk.orders.models import Order
from returns_desk.policies.quoted import QuotedTerms
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import ledger
from returns_desk.returns import permissions as can
from returns_desk.returns.models.choices import OPEN_STATUSES, MoneyOutcome, Priority, Resolution, ReturnStatus, S
from returns_desk.returns.models.order_indexes import queue_order_indexes


def _checks(*conditions: Callable[[Any], bool]) -> list[Callable[[Any], bool]]:
    """A transition's conditions. django-fsm's stubs type one as taking any model; ours read a return's fields."""
    return list(conditions)


def new_customer_token() -> str:
    return secrets.token_urlsafe(24)


class ReturnRequest(FSMModelMixin, models.Model):
    rma_number = models.CharField("RMA number", max_length=20, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    email = models.EmailField()  # indexed first in return_customer_cover_idx
    customer_name = models.CharField(max_length=200, blank=True)
    status = FSMField(max_length=20, choices=ReturnStatus.choices, default=S.REQUESTED, protected=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, default=Resolution.REFUND)
    returnless = models.BooleanField(default=False, help_text="Refunded without the parcel coming back.")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_returns",
        db_index=False,  # the (assignee, …) indexes below serve every lookup by assignee
    )
    customer_token = models.CharField(max_length=64, unique=True, default=new_customer_token, editable=False)
    submission_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="The customer draft it came from; confirming that draft again opens no second return.",
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    quoted_amount = models.PositiveIntegerField(
        default=0, help_text="Minor units quoted when the return was requested."
    )
    refund_amount = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units to pay back, settled at inspection (or approval for returnless)."
    )
    terms = models.JSONField(
        default=dict,
        blank=True,
        help_text="The policy terms the return was quoted under; every later figure for it uses these.",
    )
    # The request a manager decides (see `returns.services.return_request_refund_approval`), kept apart
    # from the inspected settlement so that a denial leaves the settlement as it was.
    requested_outcome = models.CharField(max_length=20, choices=MoneyOutcome.choices, blank=True)
    requested_amount = models.PositiveIntegerField(null=True, blank=True, help_text="Minor units asked for.")
    requested_reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_details = models.JSONField(
        default=dict, blank=True, help_text="What else the outcome needs (an exchange's replacements and tracking)."
    )
    requested_from = models.CharField(
        max_length=20, choices=ReturnStatus.choices, blank=True, help_text="Where a denial sends the return back to."
    )
    settlement_parts = models.JSONField(
        default=dict,
        blank=True,
        help_text="The settlement split by the outcome each accepted item asks for (minor units), at inspection.",
    )
    exchange_value = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minor units the replacements shipped are worth; counted by the money rule."
    )
    rejection_reason = models.TextField(blank=True)
    tracking_carrier = models.CharField(max_length=50, blank=True)
    tracking_number = models.CharField(max_length=100, blank=True, db_index=True)
    exchange_order = models.OneToOneField(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_for",
        help_text="The zero-priced replacement order shipped for an exchange.",
    )
    sla_due_at = models.DateTimeField(
        null=True, blank=True, help_text="By when the desk owes the next step; empty while it waits on others."
    )
    sla_paused_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time left on the clock when it was paused to wait on the customer."
    )
    # The conversation beside the return's state: a customer's message not yet answered by the desk, in any state.
    awaiting_reply_since = models.DateTimeField(
        null=True, blank=True, help_text="When the customer's oldest unanswered message came; empty when answered."
    )
    reply_due_at = models.DateTimeField(
        null=True, blank=True, help_text="By when the desk owes that message an answer (the policy's reply target)."
    )
    # Milestones (see `milestones.stamp`): what reports measure stage times and SLA compliance with.
    first_response_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    inspected_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)  # indexed in return_resolved_cover_idx
    rejected_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)  # indexed first in return_insights_cover_idx
    updated_at = models.DateTimeField(default=clock.now)
    status_changed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        # One index per filter and sort the desk's queues offer: each in the page's order, the id last (see
        # desk.queues.order), so no page sorts. Checked by EXPLAIN in tests/desk/test_queue_sorts.py.
        indexes = [
            *queue_order_indexes(),  # "open and assigned to …" among them, which "My open" is counted with
            # Few returns wait for an answer at a time: partial indexes keep the "Customer replied" queue and the
            # reply SLA off the other rows.
            models.Index(
                fields=["awaiting_reply_since", "id"],
                name="return_awaiting_reply_idx",
                condition=Q(awaiting_reply_since__isnull=False),
            ),
            models.Index(fields=["reply_due_at"], name="return_reply_due_idx", condition=Q(reply_due_at__isnull=False)),
            # Covers the insights page's aggregates over a period's returns (no table reads on SQLite).
            models.Index(
                fields=[
                    "created_at",
                    "status",
                    "resolution",
                    "first_response_at",
                    "approved_at",
                    "received_at",
                    "inspected_at",
                    "resolved_at",
                    "rejected_at",
                ],
                name="return_insights_cover_idx",
            ),
            models.Index(fields=["email", "created_at", "quoted_amount"], name="return_customer_cover_idx"),
            models.Index(
                fields=["assignee", "first_response_at", "inspected_at", "resolved_at"], name="return_agent_cover_idx"
            ),
            models.Index(fields=["resolved_at", "resolution"], name="return_resolved_cover_idx"),
        ]

    def __str__(self) -> str:
        return self.rma_number

    def get_absolute_url(self) -> str:
        return reverse("desk:ticket", args=[self.pk])

    # --- small properties -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def refund_amount_display(self) -> str:
        return format_money(self.refund_amount or 0, self.currency)

    @property
    def quoted_amount_display(self) -> str:
        return format_money(self.quoted_amount, self.currency)

    def quoted_terms(self):
        """The terms this return was quoted under (the active policy's only for a return older than that)."""
        if self.terms:
            return QuotedTerms.from_json(self.terms)
        return QuotedTerms.from_policy(active_policy())

    def has_open_dispute(self) -> bool:
        return ledger.order_has_open_dispute(self.order_id)

    # --- transition conditions (each reads as the reason it guards) --------------------------------

    def no_open_dispute(self) -> bool:
        return not self.has_open_dispute()

    def has_refund_amount(self) -> bool:
        return bool(self.refund_amount)

    def every_item_inspected(self) -> bool:
        return not self.items.filter(outcome="").exists()

    def returnless_allowed_by_policy(self) -> bool:
        threshold = self.quoted_terms().terms.returnless_refund_threshold
        return threshold > 0 and 0 < self.quoted_amount <= threshold

    def has_money_request(self) -> bool:
        return bool(self.requested_outcome and self.requested_amount)

    def asks_item_by_item(self) -> bool:
        return self.resolution == Resolution.MIXED

    def settles_as_one_outcome(self) -> bool:
        """A return whose items ask for different outcomes is settled item by item (`settle`); once its
        refund part has failed, that part alone can be retried, credited or sent to a manager."""
        return self.resolution != Resolution.MIXED or self.status != S.INSPECTED

    # --- transitions: only returns.services call these ----------------------------------------------

    @transition(field=status, source=S.REQUESTED, target=S.NEEDS_INFO, permission=can.staff)
    def request_info(self):
        """The desk asked the customer something; the SLA clock pauses."""

    @transition(field=status, source=S.NEEDS_INFO, target=S.REQUESTED, permission=can.staff_customer_or_system)
    def info_received(self):
        """The customer answered; back to the desk."""

    @transition(field=status, source=S.REQUESTED, target=S.APPROVED, permission=can.staff_or_system)
    def approve(self):
        """Return authorised (by a VA, or by policy); the label becomes available."""

    @transition(field=status, source=[S.REQUESTED, S.NEEDS_INFO, S.INSPECTED], target=S.REJECTED, permission=can.staff)
    def reject(self):
        """Declined, with a reason the customer sees."""

    @transition(
        field=status,
        source=[S.REQUESTED, S.NEEDS_INFO, S.APPROVED],
        target=S.CANCELLED,
        permission=can.staff_or_customer,
    )
    def cancel(self):
        """Withdrawn before the parcel shipped."""

    @transition(field=status, source=S.APPROVED, target=S.CANCELLED, permission=can.system_only)
    def expire(self):
        """Approved but never shipped within the policy's time."""

    @transition(field=status, source=S.APPROVED, target=S.IN_TRANSIT, permission=can.staff_customer_or_system)
    def mark_in_transit(self):
        """The parcel is on its way (tracking known)."""

    @transition(field=status, source=[S.APPROVED, S.IN_TRANSIT], target=S.RECEIVED, permission=can.staff)
    def receive(self):
        """The parcel arrived at the warehouse."""

    @transition(
        field=status,
        source=S.RECEIVED,
        target=S.INSPECTED,
        permission=can.staff,
        conditions=_checks(every_item_inspected),
    )
    def inspect(self):
        """Every item graded; the refundable amount is settled."""

    @transition(
        field=status,
        source=[S.INSPECTED, S.REFUND_FAILED, S.APPROVED],
        target=S.AWAITING_APPROVAL,
        permission=can.staff,
        conditions=_checks(has_money_request, settles_as_one_outcome),
    )
    def request_refund_approval(self):
        """An outcome above the VA's limit (or off the settlement); a manager decides the outcome asked for."""

    @transition(
        field=status,
        source=S.AWAITING_APPROVAL,
        target=RETURN_VALUE(S.REFUND_PENDING, S.RESOLVED),
        permission=can.manager,
        conditions=_checks(no_open_dispute, has_money_request),
    )
    def approve_refund(self):
        """A manager approved the requested outcome: a refund is sent; credit or an exchange resolves."""
        paid_later = (MoneyOutcome.REFUND, MoneyOutcome.RETURNLESS)
        return S.REFUND_PENDING if self.requested_outcome in paid_later else S.RESOLVED

    @transition(
        field=status,
        source=S.AWAITING_APPROVAL,
        target=RETURN_VALUE(S.INSPECTED, S.REFUND_FAILED, S.APPROVED),
        permission=can.manager,
    )
    def deny_refund(self):
        """A manager declined the outcome as asked; back where it was asked from, settlement unchanged."""
        return self.requested_from if self.requested_from in (S.REFUND_FAILED, S.APPROVED) else S.INSPECTED

    @transition(
        field=status,
        source=S.INSPECTED,
        target=S.REFUND_PENDING,
        permission=can.staff,
        conditions=_checks(no_open_dispute, has_refund_amount, settles_as_one_outcome),
    )
    def issue_refund(self):
        """Refund sent to the payment provider."""

    @transition(field=status, source=S.REFUND_PENDING, target=S.RESOLVED, permission=can.payment_outcome)
    def refund_succeeded(self):
        """The provider confirmed the refund."""

    @transition(
        field=status,
        source=[S.REFUND_PENDING, S.RESOLVED, S.CLOSED],
        target=S.REFUND_FAILED,
        permission=can.payment_outcome,
    )
    def refund_failed(self):
        """The provider reported failure (even after success: a late failure reopens the money step)."""

    @transition(
        field=status,
        source=S.REFUND_FAILED,
        target=S.REFUND_PENDING,
        permission=can.staff,
        conditions=_checks(no_open_dispute, has_refund_amount),
    )
    def retry_refund(self):
        """A new refund attempt, with a new idempotency key."""

    @transition(
        field=status,
        source=[S.INSPECTED, S.REFUND_FAILED],
        target=S.RESOLVED,
        permission=can.staff,
        conditions=_checks(no_open_dispute, has_refund_amount, settles_as_one_outcome),
    )
    def issue_store_credit(self):
        """Store credit (plus the policy's bonus) instead of money."""

    @transition(
        field=status,
        source=S.INSPECTED,
        target=S.RESOLVED,
        permission=can.staff,
        conditions=_checks(no_open_dispute, settles_as_one_outcome),
    )
    def ship_exchange(self):
        """The replacement is on its way."""

    @transition(
        field=status,
        source=S.INSPECTED,
        target=RETURN_VALUE(S.REFUND_PENDING, S.RESOLVED),
        permission=can.staff,
        conditions=_checks(no_open_dispute, asks_item_by_item),
    )
    def settle(self):
        """Each item's own outcome at once: replacements shipped, store credit issued, a refund sent."""
        return S.REFUND_PENDING if (self.settlement_parts or {}).get(Resolution.REFUND) else S.RESOLVED

    @transition(
        field=status,
        source=S.APPROVED,
        target=S.REFUND_PENDING,
        permission=can.staff,
        conditions=_checks(returnless_allowed_by_policy, no_open_dispute),
    )
    def refund_without_return(self):
        """The policy lets the customer keep the item; refund now."""

    @transition(
        field=status, source=[S.RESOLVED, S.REJECTED, S.CANCELLED], target=S.CLOSED, permission=can.staff_or_system
    )
    def close(self):
        """Finished; follow-up and survey done or timed out."""
