"""One handler per ticket action: it calls the action's service with the form's data and returns the notice
the VA reads afterwards.

A service that refuses raises `ServiceError`; the view shows the refusal with what was typed kept. The money
handlers give what was asked, or ask a manager instead when the figure is above the VA's limit.
"""

from collections.abc import Callable

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import format_money
from returns_desk.desk.actions.forms import (
    ConfirmForm,
    ConfirmRefundForm,
    ExchangeForm,
    FailedRefundForm,
    InspectForm,
    MoneyForm,
    NoteForm,
    QuestionForm,
    ReasonForm,
    ReferenceForm,
    RefundForm,
    RejectForm,
    RequestApprovalForm,
    RetryForm,
    SettleForm,
    StoreCreditForm,
    TrackingForm,
)
from returns_desk.desk.actions.registry import ticket_action
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.returns import services
from returns_desk.returns.models import MoneyOutcome, ReturnRequest

# The steps of a return that move no money.


@ticket_action("request_info", form=QuestionForm)
def request_info(rr: ReturnRequest, by: Actor, form: QuestionForm) -> str:
    services.return_request_info(return_request=rr, by=by, question=form.cleaned_data["question"])
    return "Question sent to the customer."


@ticket_action("info_received", form=NoteForm)
def info_received(rr: ReturnRequest, by: Actor, form: NoteForm) -> str:
    services.return_info_received(return_request=rr, by=by, message=form.cleaned_data["note"])
    return "Marked as answered."


@ticket_action("approve", form=ConfirmForm)
def approve(rr: ReturnRequest, by: Actor, form: ConfirmForm) -> str:
    services.return_approve(return_request=rr, by=by)
    return "Approved."


@ticket_action("reject", form=RejectForm, danger=True)
def reject(rr: ReturnRequest, by: Actor, form: RejectForm) -> str:
    services.return_reject(return_request=rr, by=by, reason=form.cleaned_data["reason"])
    return "Rejected; the customer has been told why."


@ticket_action("cancel", form=NoteForm, danger=True)
def cancel(rr: ReturnRequest, by: Actor, form: NoteForm) -> str:
    services.return_cancel(return_request=rr, by=by, reason=form.cleaned_data["note"])
    return "Cancelled."


@ticket_action("mark_in_transit", form=TrackingForm)
def mark_in_transit(rr: ReturnRequest, by: Actor, form: TrackingForm) -> str:
    services.return_mark_in_transit(
        return_request=rr,
        by=by,
        carrier=form.cleaned_data["carrier"],
        tracking_number=form.cleaned_data["tracking_number"],
    )
    return "Marked as shipped."


@ticket_action("receive", form=NoteForm)
def receive(rr: ReturnRequest, by: Actor, form: NoteForm) -> str:
    services.return_receive(return_request=rr, by=by, note=form.cleaned_data["note"])
    return "Parcel received."


@ticket_action("inspect", form=InspectForm, needs_return=True)
def inspect(rr: ReturnRequest, by: Actor, form: InspectForm) -> str:
    services.return_inspect(return_request=rr, by=by, results=form.results())
    return "Inspection recorded."


@ticket_action("close", form=ConfirmForm)
def close(rr: ReturnRequest, by: Actor, form: ConfirmForm) -> str:
    services.return_close(return_request=rr, by=by)
    return "Closed."


# Money: what a VA gives, or asks a manager for above their limit.


def _or_ask_a_manager(
    rr: ReturnRequest,
    by: Actor,
    outcome: str,
    amount: int | None,
    reason: str,
    give: Callable[[], object],
    details: dict | None = None,
) -> str | None:
    """Give the money; when the gate says it is above the VA's limit, the same form asks a manager instead.

    Returns the notice that a manager was asked, or None when the money was given.
    """
    try:
        give()
    except money_rule.AboveLimit as above:
        asked = payments.return_request_refund_approval(
            return_request=rr, by=by, outcome=outcome, amount=amount, override_reason=reason, details=details
        )
        what = f"{MoneyOutcome(outcome).label} of {format_money(asked.requested_amount or 0, rr.currency)}"
        if outcome == MoneyOutcome.STORE_CREDIT:
            what += " (plus its bonus)"
        return f"Sent to a manager for approval: {what} is {above.over_limit}."
    return None


def _typed_or_ask(rr: ReturnRequest, by: Actor, form: MoneyForm, give: Callable[[int, str], object]) -> str | None:
    """A money form's amount and reason given through `give(amount, reason)`, or asked of a manager above the
    VA's limit (then the notice to show)."""
    amount, reason = form.cleaned_data["amount"], form.cleaned_data["override_reason"]
    return _or_ask_a_manager(rr, by, form.outcome, amount, reason, lambda: give(amount, reason))


def _latest_manual_refund(rr: ReturnRequest) -> Refund:
    refund = rr.refunds.filter(provider=Refund.Provider.MANUAL, status=Refund.Status.PENDING).order_by("-id").first()
    if refund is None:
        raise ServiceError("There is no manual refund waiting for its outcome.")
    return refund


@ticket_action("issue_refund", form=RefundForm, needs_return=True, money=True)
def issue_refund(rr: ReturnRequest, by: Actor, form: RefundForm) -> str:
    # The form asks for a reference only for a refund made by hand; Stripe sends its own.
    reference = form.cleaned_data.get("reference")

    def give(amount: int, reason: str) -> object:
        return payments.return_issue_refund(
            return_request=rr, by=by, amount=amount, override_reason=reason, reference=reference or ""
        )

    asked = _typed_or_ask(rr, by, form, give)
    if asked:
        return asked
    refunded = format_money(form.cleaned_data["amount"], rr.currency)
    if reference is not None:
        return f"Refund of {refunded} recorded (reference {reference})."
    return f"Refund of {refunded} sent to Stripe."


@ticket_action("retry_refund", form=RetryForm, needs_return=True, money=True)
def retry_refund(rr: ReturnRequest, by: Actor, form: RetryForm) -> str:
    reference = form.cleaned_data.get("reference", "")

    def give(amount: int, reason: str) -> object:
        return payments.return_retry_refund(return_request=rr, by=by, amount=amount, reason=reason, reference=reference)

    asked = _typed_or_ask(rr, by, form, give)
    if asked:
        return asked
    return f"Refund of {format_money(form.cleaned_data['amount'], rr.currency)} tried again."


@ticket_action("issue_store_credit", form=StoreCreditForm, needs_return=True, money=True)
def issue_store_credit(rr: ReturnRequest, by: Actor, form: StoreCreditForm) -> str:
    def give(amount: int, reason: str) -> object:
        return payments.return_issue_store_credit(return_request=rr, by=by, amount=amount, reason=reason)

    asked = _typed_or_ask(rr, by, form, give)
    if asked:
        return asked
    return "Store credit issued; the customer gets the code by email."


@ticket_action("settle", form=SettleForm, needs_return=True, money=True)
def settle(rr: ReturnRequest, by: Actor, form: SettleForm) -> str:
    data = form.cleaned_data
    payments.return_settle(
        return_request=rr,
        by=by,
        carrier=data.get("carrier", ""),
        tracking_number=data.get("tracking_number", ""),
        replacement_skus=form.replacements(),
        reference=data.get("reference", ""),
    )
    return "Settled item by item; the customer is told what each item became."


@ticket_action("ship_exchange", form=ExchangeForm, needs_return=True, money=True)
def ship_exchange(rr: ReturnRequest, by: Actor, form: ExchangeForm) -> str:
    details = {
        "carrier": form.cleaned_data["carrier"],
        "tracking_number": form.cleaned_data["tracking_number"],
        "replacements": form.replacements(),
    }

    def give() -> object:
        return payments.return_ship_exchange(
            return_request=rr,
            by=by,
            carrier=details["carrier"],
            tracking_number=details["tracking_number"],
            replacement_skus=details["replacements"],
        )

    reason = "The replacements cost more than the settled amount."
    asked = _or_ask_a_manager(rr, by, MoneyOutcome.EXCHANGE, None, reason, give, details=details)
    if asked:
        return asked
    return "Exchange shipped."


@ticket_action("refund_without_return", form=ReferenceForm, money=True)
def refund_without_return(rr: ReturnRequest, by: Actor, form: ReferenceForm) -> str:
    reference = form.cleaned_data["reference"]

    def give() -> object:
        return payments.return_refund_without_return(return_request=rr, by=by, reference=reference)

    asked = _or_ask_a_manager(rr, by, MoneyOutcome.RETURNLESS, None, "", give)
    if asked:
        return asked
    return "Refunded; the customer keeps the item."


@ticket_action("request_refund_approval", form=RequestApprovalForm, needs_return=True)
def request_refund_approval(rr: ReturnRequest, by: Actor, form: RequestApprovalForm) -> str:
    payments.return_request_refund_approval(
        return_request=rr,
        by=by,
        outcome=form.cleaned_data["requested_outcome"],
        amount=form.cleaned_data["amount"],
        override_reason=form.cleaned_data["override_reason"],
    )
    return "Sent to a manager for approval."


@ticket_action("approve_refund", form=ReferenceForm, decision_verb="Approve", money=True)
def approve_refund(rr: ReturnRequest, by: Actor, form: ReferenceForm) -> str:
    payments.return_approve_refund(return_request=rr, by=by, reference=form.cleaned_data["reference"])
    return "Approved as asked."


@ticket_action("deny_refund", form=ReasonForm, danger=True, decision_verb="Deny", money=True)
def deny_refund(rr: ReturnRequest, by: Actor, form: ReasonForm) -> str:
    payments.return_deny_refund(return_request=rr, by=by, reason=form.cleaned_data["reason"])
    return "Denied; back to the VA with your reason, the settlement unchanged."


@ticket_action("refund_succeeded", form=ConfirmRefundForm, money=True)
def refund_succeeded(rr: ReturnRequest, by: Actor, form: ConfirmRefundForm) -> str:
    payments.refund_confirm_manual(refund=_latest_manual_refund(rr), by=by, reference=form.cleaned_data["reference"])
    return "Refund confirmed."


@ticket_action("refund_failed", form=FailedRefundForm, danger=True, money=True)
def refund_failed(rr: ReturnRequest, by: Actor, form: FailedRefundForm) -> str:
    payments.refund_mark_failed_manual(refund=_latest_manual_refund(rr), by=by, reason=form.cleaned_data["reason"])
    return "Refund marked as failed."
