"""Money that leaves (refunds, store credit) or is taken back (disputes), and Stripe's events."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from returns_desk.core import clock
from returns_desk.core.money import CURRENCY_CHOICES, format_money
from returns_desk.orders.models import Order
from returns_desk.returns.sla import REFUND_ARRIVES_WITHIN_DAYS


class Refund(models.Model):
    class Provider(models.TextChoices):
        MANUAL = "manual", "Manual (recorded by staff)"
        STRIPE = "stripe", "Stripe"

    class Status(models.TextChoices):
        # Mirrors Stripe's refund statuses.
        PENDING = "pending", "Pending"
        REQUIRES_ACTION = "requires_action", "Requires action"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    ACTIVE_STATUSES = (Status.PENDING, Status.REQUIRES_ACTION, Status.SUCCEEDED)

    return_request = models.ForeignKey("returns.ReturnRequest", on_delete=models.PROTECT, related_name="refunds")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    attempt = models.PositiveSmallIntegerField(default=1)
    amount = models.PositiveIntegerField(help_text="Minor units.")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    provider_refund_id = models.CharField(max_length=100, blank=True, db_index=True)
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    failure_code = models.CharField(max_length=100, blank=True, help_text="The provider's own code, for staff.")
    failure_reason = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True, help_text="The last error talking to the provider, if any.")
    send_attempts = models.PositiveSmallIntegerField(default=0, help_text="Times we asked the provider.")
    sending_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is talking to the provider until then; others wait."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["return_request", "attempt"], name="one_refund_per_attempt"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.amount_display} {self.get_status_display().lower()} ({self.idempotency_key})"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def expected_by(self):
        """The day by which the customer should see the money (card refunds take 5–10 business days)."""
        return (self.created_at + dt.timedelta(days=REFUND_ARRIVES_WITHIN_DAYS)).date()


def new_store_credit_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
    return "SC-" + "".join(secrets.choice(alphabet) for _ in range(10))


class StoreCredit(models.Model):
    """One ledger entry of a customer's store credit; the balance is the sum of entries per email."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Issued"
        REDEEM = "redeem", "Redeemed"
        EXPIRE = "expire", "Expired"

    email = models.EmailField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.IntegerField(help_text="Minor units; positive when issued, negative when redeemed or expired.")
    bonus = models.PositiveIntegerField(
        default=0, help_text="Of an issue: the policy's bonus within `amount`; the rest is the return's money."
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    code = models.CharField(max_length=20, db_index=True, help_text="The redeemable code this entry belongs to.")
    return_request = models.ForeignKey(
        "returns.ReturnRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="store_credits"
    )
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "store credit"
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="issue", amount__gt=0) | (~Q(kind="issue") & Q(amount__lt=0))),
                name="store_credit_sign_matches_kind",
            ),
            models.UniqueConstraint(fields=["code"], condition=Q(kind="issue"), name="store_credit_code_issued_once"),
            models.CheckConstraint(
                condition=Q(bonus=0) | Q(kind="issue", bonus__lt=models.F("amount")),
                name="store_credit_bonus_within_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display().lower()} {self.amount_display}"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class Dispute(models.Model):
    """A Stripe chargeback. While one is open on an order, no refund may be sent for it."""

    class Status(models.TextChoices):
        WARNING_NEEDS_RESPONSE = "warning_needs_response", "Inquiry: needs response"
        WARNING_UNDER_REVIEW = "warning_under_review", "Inquiry: under review"
        WARNING_CLOSED = "warning_closed", "Inquiry closed"
        NEEDS_RESPONSE = "needs_response", "Needs response"
        UNDER_REVIEW = "under_review", "Under review"
        APPEAL_NEEDS_RESPONSE = "appeal_needs_response", "Appeal: needs response"
        APPEAL_UNDER_REVIEW = "appeal_under_review", "Appeal: under review"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        PREVENTED = "prevented", "Prevented"

    # Stripe's final statuses. Every other one, including any Stripe adds later, is still open and blocks
    # refunds: an unknown status must never let money out twice.
    FINAL_STATUSES = (Status.WARNING_CLOSED, Status.WON, Status.LOST, Status.PREVENTED)

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="disputes")
    return_request = models.ForeignKey(
        "returns.ReturnRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="disputes"
    )
    stripe_dispute_id = models.CharField(max_length=100, unique=True)
    charge_id = models.CharField(max_length=100, blank=True)
    payment_intent_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=30, choices=Status.choices)
    reason = models.CharField(max_length=50, blank=True)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    funds_withdrawn = models.PositiveIntegerField(
        default=0, help_text="Minor units the bank holds back now (lost or withdrawn, less reinstated)."
    )
    evidence_due_by = models.DateTimeField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="Evidence staged for submission to Stripe.")
    evidence_staged_at = models.DateTimeField(null=True, blank=True, help_text="Last sent to Stripe with submit=false.")
    evidence_submitted_at = models.DateTimeField(null=True, blank=True, help_text="Sent to the bank; final.")
    evidence_error = models.TextField(blank=True, help_text="Stripe's answer when sending evidence failed.")
    last_event_at = models.DateTimeField(
        null=True, blank=True, help_text="Creation time of the newest Stripe event applied; older ones are ignored."
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["order", "status"])]

    def __str__(self) -> str:
        return f"{self.stripe_dispute_id} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINAL_STATUSES

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)


class StripeEvent(models.Model):
    """Every Stripe webhook event, stored once by its id before anything acts on it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (not for the desk)"
        FAILED = "failed", "Failed"

    stripe_event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=clock.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"
