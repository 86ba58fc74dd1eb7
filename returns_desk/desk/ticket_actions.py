"""The ticket's action forms: one small form per transition, each calling its service.

A view asks `forms_for(rr, user)` for the forms of the transitions this user may run now (FSM source,
permission), and `run(action, rr, user, data)` to validate and act. Conditions are checked by the
service when the form is sent, and a refusal comes back in words.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django import forms

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.forms import MoneyField
from returns_desk.core.money import format_money
from returns_desk.orders.models import Product
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.payments.providers import provider_name_for
from returns_desk.returns import services
from returns_desk.returns.models import CARRIERS, MoneyOutcome, ReturnItem, ReturnRequest, ReturnStatus
from returns_desk.returns.selectors import available_actions
from returns_desk.returns.transition_words import TRANSITION_WORDS


class ConfirmForm(forms.Form):
    """An action with nothing to ask: the button is the form."""


class NoteForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    question = forms.CharField(label="Question for the customer", widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason the customer will see", widget=forms.Textarea(attrs={"rows": 3}))


class TrackingForm(forms.Form):
    carrier = forms.ChoiceField(label="Carrier", choices=[("", "Choose…")] + [(c, c) for c in CARRIERS])
    tracking_number = forms.CharField(label="Tracking number", max_length=100)


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label="Payment reference (manual refunds)",
        required=False,
        max_length=100,
        help_text="For a refund made outside Stripe: the bank or back-office reference.",
    )


class ConfirmRefundForm(forms.Form):
    reference = forms.CharField(label="Reference of the refund you made", max_length=100)


class FailedRefundForm(forms.Form):
    reason = forms.CharField(label="Why the refund failed", widget=forms.Textarea(attrs={"rows": 2}))


class MoneyForm(forms.Form):
    """An amount for one money outcome, pre-filled with the settlement, checked against what remains.

    A figure other than the starting one needs a reason; the remaining refundable amount is shown next
    to the field and no figure above it is accepted.
    """

    amount_label = "Amount"
    outcome = MoneyOutcome.REFUND

    amount = MoneyField(label="Amount", below_zero_message="The amount must be more than zero.")
    override_reason = forms.CharField(
        label="Why a different amount (needed when you change it)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        self.rr = rr
        self.start = payments.default_request_amount(rr, self.outcome)
        kwargs.setdefault("initial", {"amount": f"{self.start / 100:.2f}"})
        super().__init__(*args, **kwargs)
        self.position = money_rule.position_for(rr)
        self.fields["amount"].label = self.amount_label
        self.fields["amount"].help_text = (
            f"Settled at inspection: {rr.refund_amount_display}. "
            f"At most {self.position.remaining_display} can still be given back for this return."
        )

    def show_limit(self, user) -> None:
        """Say where the VA's limit is, so that a request to a manager is no surprise."""
        limit = money_rule.limit_for(Actor.staff(user), self.rr)
        if limit is not None and self.outcome != MoneyOutcome.RETURNLESS:
            self.fields["amount"].help_text += (
                f" Your limit is {format_money(limit, self.rr.currency)}: above it this asks a manager"
                " (say why in the box below)."
            )

    def clean(self):
        data = super().clean()
        amount = data.get("amount")
        if amount is None:
            return data
        if amount > self.position.remaining:
            self.add_error(
                "amount",
                f"At most {self.position.remaining_display} can still be given back for this return "
                f"(order paid {self.rr.order.amount_paid_display}).",
            )
        elif amount != self.start and not data.get("override_reason", "").strip():
            self.add_error(
                "override_reason", f"Say why the amount differs from {format_money(self.start, self.rr.currency)}."
            )
        return data


class RefundForm(MoneyForm):
    amount_label = "Amount to refund"
    reference = forms.CharField(
        label="Payment reference of the refund you made",
        required=False,
        max_length=100,
        help_text="Orders not paid through Stripe: refund in your bank or back office first, then record it here.",
    )

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, rr=rr, **kwargs)
        if provider_name_for(rr.order.payment_reference) == Refund.Provider.STRIPE:
            del self.fields["reference"]  # Stripe sends it; nothing to record
        else:
            self.fields["reference"].required = True


class StoreCreditForm(MoneyForm):
    amount_label = "Store credit (before the bonus)"
    outcome = MoneyOutcome.STORE_CREDIT

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, rr=rr, **kwargs)
        percent = rr.quoted_terms().terms.store_credit_bonus_percent
        if percent:
            self.fields["amount"].help_text += f" The quoted {percent:g}% bonus is added on top."


class RequestApprovalForm(MoneyForm):
    """Ask a manager for an outcome: after a failed refund, or for a figure above the VA's limit."""

    amount_label = "Amount to ask for"
    requested_outcome = forms.ChoiceField(label="Outcome to ask for", choices=())

    field_order = ["requested_outcome", "amount", "override_reason"]

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, rr=rr, **kwargs)
        allowed = {
            ReturnStatus.APPROVED: [MoneyOutcome.RETURNLESS],
            ReturnStatus.REFUND_FAILED: [MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT],
        }.get(rr.status, [MoneyOutcome.REFUND, MoneyOutcome.STORE_CREDIT])
        self.fields["requested_outcome"].choices = [(o.value, o.label) for o in allowed]
        self.fields["override_reason"].label = "Reason for the manager"


class RetryForm(RefundForm):
    amount_label = "Amount to refund again"


class InspectForm(forms.Form):
    """One outcome, grade and disposition per item in the parcel."""

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(rr.items.all())
        for item in self.items:
            title = f"{item.quantity} × {item.order_line.title}"
            self.fields[f"outcome_{item.pk}"] = forms.ChoiceField(
                label=f"{title}: outcome", choices=[("", "Choose…"), *ReturnItem.Outcome.choices]
            )
            self.fields[f"grade_{item.pk}"] = forms.ChoiceField(
                label="Grade", required=False, choices=[("", "—"), *ReturnItem.Grade.choices]
            )
            self.fields[f"disposition_{item.pk}"] = forms.ChoiceField(
                label="Disposition", required=False, choices=[("", "—"), *ReturnItem.Disposition.choices]
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(label="Note", required=False, max_length=1000)

    def item_rows(self):
        return [
            (item, [self[f"{name}_{item.pk}"] for name in ("outcome", "grade", "disposition", "note")])
            for item in self.items
        ]

    def clean(self):
        data = super().clean()
        for item in self.items:
            if data.get(f"outcome_{item.pk}") == ReturnItem.Outcome.ACCEPTED and not data.get(f"disposition_{item.pk}"):
                self.add_error(f"disposition_{item.pk}", "Say what happens to an accepted item.")
        return data

    def results(self) -> list[services.ItemInspection]:
        data = self.cleaned_data
        return [
            services.ItemInspection(
                item_id=item.pk,
                outcome=data[f"outcome_{item.pk}"],
                grade=data[f"grade_{item.pk}"],
                disposition=data[f"disposition_{item.pk}"],
                note=data[f"note_{item.pk}"],
            )
            for item in self.items
        ]


class ExchangeForm(TrackingForm):
    """The replacement for each accepted item (the customer's choice first), and the parcel's tracking."""

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = [i for i in rr.items.all() if i.outcome == ReturnItem.Outcome.ACCEPTED]
        styles = {i.order_line.product.style for i in accepted if i.order_line.product_id}
        in_stock = list(Product.objects.filter(style__in=styles - {""}, stock__gt=0).order_by("sku"))
        self.item_fields = []
        for item in accepted:
            product = item.order_line.product
            options = [p for p in in_stock if product and product.style and p.style == product.style]
            choices = [(p.sku, f"{p.title} — {p.stock} in stock") for p in options]
            if not any(sku == item.order_line.sku for sku, _ in choices):
                choices.insert(0, (item.order_line.sku, f"{item.order_line.title} (same item)"))
            wanted = item.exchange_product.sku if item.exchange_product_id else item.order_line.sku
            name = f"replacement_{item.pk}"
            self.fields[name] = forms.ChoiceField(
                label=f"Send instead of {item.order_line.title}", choices=choices, initial=wanted
            )
            self.item_fields.append((item.pk, name))

    def replacements(self) -> dict[int, str]:
        return {item_id: self.cleaned_data[name] for item_id, name in self.item_fields}


@dataclass(frozen=True)
class TicketAction:
    name: str
    form_class: type[forms.Form]
    run: Callable[[ReturnRequest, Actor, forms.Form], object]  # a str result replaces `done`
    done: str = "Done."
    needs_return: bool = False  # the form is built for this return (items, amounts)
    danger: bool = False
    title: str = ""  # the button's words for this return, when they depend on it (see `for_return`)

    @property
    def label(self) -> str:
        return self.title or TRANSITION_WORDS[self.name].label

    def for_return(self, rr: ReturnRequest) -> "TicketAction":
        """A manager approves or denies the outcome asked for: "Approve store credit", not "Approve refund"."""
        if self.name in ("approve_refund", "deny_refund") and rr.requested_outcome:
            verb = "Approve" if self.name == "approve_refund" else "Deny"
            return replace(self, title=f"{verb} {MoneyOutcome(rr.requested_outcome).label.lower()}")
        return self


def _latest_manual_refund(rr: ReturnRequest) -> Refund:
    refund = rr.refunds.filter(provider=Refund.Provider.MANUAL, status=Refund.Status.PENDING).order_by("-id").first()
    if refund is None:
        raise ServiceError("There is no manual refund waiting for its outcome.")
    return refund


def _or_ask_a_manager(rr: ReturnRequest, by: Actor, outcome: str, amount: int, reason: str, give, details=None):
    """Give the money; when the gate says it is above the VA's limit, the same form asks a manager instead."""
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


def _typed_or_ask(rr: ReturnRequest, by: Actor, form: MoneyForm, give) -> str | None:
    """A money form's amount and reason given through `give(amount, reason)`, or asked of a manager above the
    VA's limit (then the notice to show)."""
    amount, reason = form.cleaned_data["amount"], form.cleaned_data["override_reason"]
    return _or_ask_a_manager(rr, by, form.outcome, amount, reason, lambda: give(amount, reason))


def _issue_refund(rr: ReturnRequest, by: Actor, form: RefundForm) -> str:
    data = form.cleaned_data
    amount = data["amount"]
    asked = _typed_or_ask(
        rr,
        by,
        form,
        lambda amount, reason: payments.return_issue_refund(
            return_request=rr, by=by, amount=amount, override_reason=reason, reference=data.get("reference", "")
        ),
    )
    if asked:
        return asked
    if "reference" in data:
        return f"Refund of {format_money(amount, rr.currency)} recorded (reference {data['reference']})."
    return f"Refund of {format_money(amount, rr.currency)} sent to Stripe."


def _retry_refund(rr: ReturnRequest, by: Actor, form: RefundForm) -> str:
    reference = form.cleaned_data.get("reference", "")
    asked = _typed_or_ask(
        rr,
        by,
        form,
        lambda amount, reason: payments.return_retry_refund(
            return_request=rr, by=by, amount=amount, reason=reason, reference=reference
        ),
    )
    return asked or f"Refund of {format_money(form.cleaned_data['amount'], rr.currency)} tried again."


def _issue_store_credit(rr: ReturnRequest, by: Actor, form: StoreCreditForm) -> str:
    asked = _typed_or_ask(
        rr,
        by,
        form,
        lambda amount, reason: payments.return_issue_store_credit(
            return_request=rr, by=by, amount=amount, reason=reason
        ),
    )
    return asked or "Store credit issued; the customer gets the code by email."


def _ship_exchange(rr: ReturnRequest, by: Actor, form) -> str:
    data = form.cleaned_data
    details = {
        "carrier": data["carrier"],
        "tracking_number": data["tracking_number"],
        "replacements": form.replacements(),
    }
    asked = _or_ask_a_manager(
        rr,
        by,
        MoneyOutcome.EXCHANGE,
        None,
        "The replacements cost more than the settled amount.",
        lambda: payments.return_ship_exchange(
            return_request=rr,
            by=by,
            carrier=details["carrier"],
            tracking_number=details["tracking_number"],
            replacement_skus=details["replacements"],
        ),
        details=details,
    )
    return asked or "Exchange shipped."


def _refund_without_return(rr: ReturnRequest, by: Actor, form) -> str:
    reference = form.cleaned_data["reference"]
    asked = _or_ask_a_manager(
        rr,
        by,
        MoneyOutcome.RETURNLESS,
        None,
        "",
        lambda: payments.return_refund_without_return(return_request=rr, by=by, reference=reference),
    )
    return asked or "Refunded; the customer keeps the item."


def _request_approval(rr: ReturnRequest, by: Actor, form: RequestApprovalForm) -> str:
    data = form.cleaned_data
    payments.return_request_refund_approval(
        return_request=rr,
        by=by,
        outcome=data["requested_outcome"],
        amount=data["amount"],
        override_reason=data["override_reason"],
    )
    return "Sent to a manager for approval."


ACTION_FORMS: dict[str, TicketAction] = {
    a.name: a
    for a in [
        TicketAction(
            "request_info",
            QuestionForm,
            lambda rr, by, f: (
                services.return_request_info(return_request=rr, by=by, question=f.cleaned_data["question"])
                and "Question sent to the customer."
            ),
        ),
        TicketAction(
            "info_received",
            NoteForm,
            lambda rr, by, f: (
                services.return_info_received(return_request=rr, by=by, message=f.cleaned_data["note"])
                and "Marked as answered."
            ),
        ),
        TicketAction(
            "approve", ConfirmForm, lambda rr, by, f: services.return_approve(return_request=rr, by=by) and "Approved."
        ),
        TicketAction(
            "reject",
            RejectForm,
            lambda rr, by, f: (
                services.return_reject(return_request=rr, by=by, reason=f.cleaned_data["reason"])
                and "Rejected; the customer has been told why."
            ),
            danger=True,
        ),
        TicketAction(
            "cancel",
            NoteForm,
            lambda rr, by, f: (
                services.return_cancel(return_request=rr, by=by, reason=f.cleaned_data["note"]) and "Cancelled."
            ),
            danger=True,
        ),
        TicketAction(
            "mark_in_transit",
            TrackingForm,
            lambda rr, by, f: (
                services.return_mark_in_transit(
                    return_request=rr,
                    by=by,
                    carrier=f.cleaned_data["carrier"],
                    tracking_number=f.cleaned_data["tracking_number"],
                )
                and "Marked as shipped."
            ),
        ),
        TicketAction(
            "receive",
            NoteForm,
            lambda rr, by, f: (
                services.return_receive(return_request=rr, by=by, note=f.cleaned_data["note"]) and "Parcel received."
            ),
        ),
        TicketAction(
            "inspect",
            InspectForm,
            lambda rr, by, f: (
                services.return_inspect(return_request=rr, by=by, results=f.results()) and "Inspection recorded."
            ),
            needs_return=True,
        ),
        TicketAction("request_refund_approval", RequestApprovalForm, _request_approval, needs_return=True),
        TicketAction(
            "approve_refund",
            ReferenceForm,
            lambda rr, by, f: (
                payments.return_approve_refund(return_request=rr, by=by, reference=f.cleaned_data["reference"])
                and "Approved as asked."
            ),
        ),
        TicketAction(
            "deny_refund",
            ReasonForm,
            lambda rr, by, f: (
                payments.return_deny_refund(return_request=rr, by=by, reason=f.cleaned_data["reason"])
                and "Denied; back to the VA with your reason, the settlement unchanged."
            ),
            danger=True,
        ),
        TicketAction("issue_refund", RefundForm, _issue_refund, "Refund sent.", needs_return=True),
        TicketAction(
            "refund_succeeded",
            ConfirmRefundForm,
            lambda rr, by, f: (
                payments.refund_confirm_manual(
                    refund=_latest_manual_refund(rr), by=by, reference=f.cleaned_data["reference"]
                )
                and "Refund confirmed."
            ),
        ),
        TicketAction(
            "refund_failed",
            FailedRefundForm,
            lambda rr, by, f: (
                payments.refund_mark_failed_manual(
                    refund=_latest_manual_refund(rr), by=by, reason=f.cleaned_data["reason"]
                )
                and "Refund marked as failed."
            ),
            danger=True,
        ),
        TicketAction("retry_refund", RetryForm, _retry_refund, needs_return=True),
        TicketAction("issue_store_credit", StoreCreditForm, _issue_store_credit, needs_return=True),
        TicketAction("ship_exchange", ExchangeForm, _ship_exchange, needs_return=True),
        TicketAction("refund_without_return", ReferenceForm, _refund_without_return),
        TicketAction(
            "close", ConfirmForm, lambda rr, by, f: services.return_close(return_request=rr, by=by) and "Closed."
        ),
    ]
}


def build_form(action: TicketAction, rr: ReturnRequest, data=None, *, user=None) -> forms.Form:
    kwargs = {"rr": rr} if action.needs_return else {}
    form = action.form_class(data, prefix=action.name, **kwargs)
    if user is not None and isinstance(form, MoneyForm):
        form.show_limit(user)
    return form


def actions_for(rr: ReturnRequest, user) -> list[TicketAction]:
    """The transitions this user may run on this return now, in the order a VA meets them."""
    names = available_actions(rr, Actor.staff(user))
    pending_manual = any(
        r.provider == Refund.Provider.MANUAL and r.status == Refund.Status.PENDING for r in rr.refunds.all()
    )
    if not pending_manual:  # Stripe reports those outcomes itself
        names = [n for n in names if n not in ("refund_succeeded", "refund_failed")]
    if rr.status != ReturnStatus.REFUND_FAILED:
        # The refund, credit, exchange and keep-the-item forms themselves turn into a request above the VA's
        # limit; only after a failure is asking a manager a choice of its own (beside retry and credit).
        names = [n for n in names if n != "request_refund_approval"]
    offered = [ACTION_FORMS[n].for_return(rr) for n in DISPLAY_ORDER if n in names]
    return sorted(offered, key=lambda a: a.danger)  # the way forward first; reject, cancel, deny last


# The order a VA meets them on a ticket: the usual next step first.
DISPLAY_ORDER = [
    "approve",
    "request_info",
    "info_received",
    "mark_in_transit",
    "receive",
    "inspect",
    "issue_refund",
    "issue_store_credit",
    "ship_exchange",
    "refund_without_return",
    "request_refund_approval",
    "approve_refund",
    "refund_succeeded",
    "retry_refund",
    "close",
    "deny_refund",
    "refund_failed",
    "reject",
    "cancel",
]
