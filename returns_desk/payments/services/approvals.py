"""A manager's approval of money above a VA's limit: the VA's request (checked against the money rule now, kept
apart from the settlement), the manager's approval (the asked outcome's step, run then) or denial."""

from returns_desk.core import clock
from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import ActionForbidden, ActionNotAllowed, ServiceError
from returns_desk.core.money import format_money
from returns_desk.payments import money_rule
from returns_desk.payments.services.outcomes import (
    CreditStep,
    ExchangeStep,
    MoneyStep,
    RefundStep,
    checked_override,
    last_refund_amount,
    replacements_for,
    run_money,
)
from returns_desk.returns.models import MoneyOutcome, ReturnRequest, ReturnStatus
from returns_desk.returns.pricing import returnless_settlement
from returns_desk.returns.services import CONDITION_REFUSALS, required, run_transition


def default_request_amount(rr: ReturnRequest, outcome: str) -> int:
    """The figure a request for `outcome` starts from: the settlement (for a returnless refund, the quote)."""
    if outcome == MoneyOutcome.RETURNLESS:
        return returnless_settlement(rr)
    if rr.status == ReturnStatus.REFUND_FAILED and outcome in (MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT):
        return last_refund_amount(rr)  # what failed (on a return settled item by item, its refund part)
    return rr.refund_amount or 0


# What a VA may ask a manager for, from each state.
REQUESTABLE = {
    ReturnStatus.APPROVED: {MoneyOutcome.RETURNLESS},
    ReturnStatus.INSPECTED: {MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT, MoneyOutcome.EXCHANGE},
    ReturnStatus.REFUND_FAILED: {MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT},
}


class ApprovalRequest:
    """A VA's request, checked under the locks against the money rule (a manager can approve up to its
    ceiling, never beyond) and kept apart from the settlement, which a denial leaves as it was."""

    def __init__(self, by: Actor, *, outcome: str, amount: int | None, reason: str, note: str, details: dict):
        self.by, self.outcome, self.amount, self.reason = by, outcome, amount, reason.strip()
        self.note, self.details = note.strip(), details
        # The request's words and figures, known once `prepare` has run under the locks.
        self.body: str = ""
        self.data: dict = {}

    def _asked(self, rr: ReturnRequest) -> int:
        if self.outcome not in REQUESTABLE.get(rr.status, set()):
            raise ActionNotAllowed(
                f"{MoneyOutcome(self.outcome).label} can't be asked for while the return is {rr.get_status_display()}."
            )
        if self.outcome == MoneyOutcome.RETURNLESS and not rr.returnless_allowed_by_policy():
            raise ActionNotAllowed(CONDITION_REFUSALS["returnless_allowed_by_policy"])
        asked = checked_override(rr, self.amount, self.reason, default_request_amount(rr, self.outcome))
        if self.outcome == MoneyOutcome.EXCHANGE:
            asked = sum(r.value for r in replacements_for(rr, self.details.get("replacements") or {}))
        what = f"ask for {MoneyOutcome(self.outcome).label.lower()} of"
        why = money_rule.refusal(money_rule.position_for(rr), asked, what=what)
        if why:
            raise ServiceError(why)
        return asked

    def prepare(self, rr: ReturnRequest) -> None:
        asked = self._asked(rr)
        rr.requested_outcome, rr.requested_amount = self.outcome, asked
        rr.requested_reason = self.reason or self.note
        rr.requested_details = {k: v for k, v in self.details.items() if v not in (None, "", {})}
        rr.requested_by, rr.requested_at, rr.requested_from = self.by.user, clock.now(), rr.status
        limit = money_rule.limit_for(self.by, rr)
        self.body = (
            f"{display_name(self.by.user)} asks a manager to approve {MoneyOutcome(self.outcome).label.lower()} of "
            f"{format_money(asked, rr.currency)} (settled at inspection: {rr.refund_amount_display}"
            + (f"; their limit {format_money(limit, rr.currency)}" if limit is not None else "")
            + ")."
            + (f" Reason: {self.reason}" if self.reason else "")
            + (f" {self.note}" if self.note else "")
        )
        self.data = {
            "money": {"outcome": self.outcome, "requested": asked, "limit": limit, "settled": rr.refund_amount}
        }


def return_request_refund_approval(
    *,
    return_request: ReturnRequest,
    by: Actor,
    outcome: str = MoneyOutcome.REFUND,
    amount: int | None = None,
    override_reason: str = "",
    note: str = "",
    details: dict | None = None,
) -> ReturnRequest:
    """Ask a manager to approve an outcome and its amount (above the VA's limit, or after a failure)."""
    if outcome not in MoneyOutcome.values:
        raise ServiceError("Choose the outcome to ask for: refund, store credit, exchange or refund without return.")
    if by.kind != Actor.STAFF:
        raise ActionForbidden("Only desk staff can ask a manager to approve money.")
    request = ApprovalRequest(
        by, outcome=outcome, amount=amount, reason=override_reason, note=note, details=details or {}
    )
    return run_transition(
        return_request=return_request,
        action="request_refund_approval",
        by=by,
        prepare=request.prepare,
        apply=lambda rr: request.data,
        body=lambda: request.body,
        lock_order=True,
    )


class ApprovedStep(MoneyStep):
    """A manager approves the outcome asked for, at the amount asked: the step of that outcome, run now."""

    def __init__(self, by: Actor, *, reference: str):
        self.by, self.reference = by, reference

    def _step_for(self, rr: ReturnRequest) -> MoneyStep:
        outcome, amount = rr.requested_outcome, rr.requested_amount
        if outcome in (MoneyOutcome.REFUND, MoneyOutcome.RETURNLESS):
            if outcome == MoneyOutcome.RETURNLESS:
                rr.returnless = True
            return RefundStep(self.by, amount=amount, reference=self.reference)
        if outcome == MoneyOutcome.STORE_CREDIT:
            return CreditStep(self.by, amount=amount, checked=False)
        details = rr.requested_details or {}
        return ExchangeStep(
            self.by,
            carrier=details.get("carrier", ""),
            tracking_number=details.get("tracking_number", ""),
            chosen={int(k): v for k, v in (details.get("replacements") or {}).items()},
        )

    def apply(self, rr: ReturnRequest) -> dict:
        asked_by = display_name(rr.requested_by) if rr.requested_by_id else "the desk"
        step = self._step_for(rr)
        result = step.apply(rr)
        self.body = f"Approved {MoneyOutcome(rr.requested_outcome).label.lower()} asked by {asked_by}. {step.body}"
        self.customer = step.customer
        return result


def return_approve_refund(*, return_request: ReturnRequest, by: Actor, reference: str = "") -> ReturnRequest:
    """A manager approves the outcome asked for, at the amount asked, up to the money rule's ceiling."""
    return run_money(return_request, "approve_refund", by, ApprovedStep(by, reference=reference))


def return_deny_refund(*, return_request: ReturnRequest, by: Actor, reason: str) -> ReturnRequest:
    """A manager declines the request; the return goes back where it was asked from, settlement unchanged."""
    reason = required(reason, "a reason for the VA")
    words = {"body": ""}

    def apply(rr: ReturnRequest) -> dict:
        asked_by = display_name(rr.requested_by) if rr.requested_by_id else "the desk"
        asked = format_money(rr.requested_amount or 0, rr.currency)
        label = MoneyOutcome(rr.requested_outcome).label.lower() if rr.requested_outcome else "refund"
        words["body"] = (
            f"{display_name(by.user)} denied {label} of {asked} asked by {asked_by}: {reason} "
            f"The settlement stays at {rr.refund_amount_display}."
        )
        return {"money": {"denied": rr.requested_amount, "outcome": rr.requested_outcome, "settled": rr.refund_amount}}

    return run_transition(
        return_request=return_request, action="deny_refund", by=by, apply=apply, body=lambda: words["body"]
    )
