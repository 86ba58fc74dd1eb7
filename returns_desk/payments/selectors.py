"""Reads about money."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Max, Min, Q, QuerySet, Sum

from returns_desk.core.actors import display_name
from returns_desk.core.money import format_money

from .models import Dispute, StoreCredit
from .money_rule import positions_for


def _email_matches(email: str) -> Q:
    """As written or in lower case: both use the email index (a case-insensitive match would scan the table)."""
    email = email.strip()
    return Q(email=email) | Q(email=email.lower())


def store_credit_balance(email: str) -> int:
    """A customer's balance is derived from the ledger, never stored."""
    return StoreCredit.objects.filter(_email_matches(email)).aggregate(s=Sum("amount"))["s"] or 0


@dataclass(frozen=True)
class CreditCode:
    code: str
    currency: str
    issued: int
    balance: int
    expires_on: date | None

    @property
    def issued_display(self) -> str:
        return format_money(self.issued, self.currency)

    @property
    def balance_display(self) -> str:
        return format_money(self.balance, self.currency)


def store_credit_codes(*, email: str = "", code: str = "") -> list[CreditCode]:
    """Each code with what was issued and what is left, in one aggregate query."""
    entries = StoreCredit.objects.all()
    if email:
        entries = entries.filter(_email_matches(email))
    if code:
        entries = entries.filter(code=code.strip().upper())
    rows = (
        entries.values("code")
        .annotate(
            issued=Sum("amount", filter=Q(kind=StoreCredit.Kind.ISSUE)),
            balance=Sum("amount"),
            currency=Min("currency"),
            expires_on=Max("expires_on"),
        )
        .order_by("-expires_on", "code")
    )
    return [CreditCode(r["code"], r["currency"], r["issued"] or 0, r["balance"] or 0, r["expires_on"]) for r in rows]


def store_credit_entries(code: str) -> QuerySet[StoreCredit]:
    return StoreCredit.objects.filter(code=code.strip().upper()).select_related("return_request", "created_by")


def disputes_for_desk() -> QuerySet[Dispute]:
    """Open disputes first, the most urgent deadline first."""
    return Dispute.objects.select_related("order", "return_request").order_by("evidence_due_by", "-created_at")


@dataclass(frozen=True)
class ApprovalSummary:
    """What a manager weighs: paid, settled at inspection, what is asked and why, by whom, and what remains."""

    rr_id: int
    outcome: str
    paid: str
    settled: str
    requested: str
    reason: str
    asked_by: str
    asked_at: object
    remaining: str
    over_remaining: bool


def approval_summaries(returns, positions: dict | None = None) -> dict[int, ApprovalSummary]:
    """One summary per return awaiting a manager, in a fixed number of queries (the money rule's five, unless
    the caller has the positions already)."""
    waiting = [rr for rr in returns if rr.requested_outcome]
    positions = positions if positions is not None else positions_for(waiting)
    summaries = {}
    for rr in waiting:
        position = positions[rr.pk]
        who = rr.requested_by
        summaries[rr.pk] = ApprovalSummary(
            rr_id=rr.pk,
            outcome=rr.get_requested_outcome_display(),
            paid=rr.order.amount_paid_display,
            settled=rr.refund_amount_display if rr.refund_amount is not None else "not settled",
            requested=format_money(rr.requested_amount or 0, rr.currency),
            reason=rr.requested_reason,
            asked_by=display_name(who) if who else "—",
            asked_at=rr.requested_at,
            remaining=position.remaining_display,
            over_remaining=(rr.requested_amount or 0) > position.remaining,
        )
    return summaries


def order_has_open_dispute(order_id: int) -> bool:
    """A dispute on the order that is not final (one of a status the desk does not know yet counts as open)."""
    return Dispute.objects.filter(order_id=order_id).exclude(status__in=Dispute.FINAL_STATUSES).exists()
