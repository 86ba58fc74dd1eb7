"""The ticket's action forms: one small form per transition, each calling its service.

A view asks `forms_for(rr, user)` for the forms of the transitions this user may run now (FSM source,
permission), and `run(action, rr, user, data)` to validate and act. Conditions are checked by the
service when the form is sent, and a refusal comes back in words.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.forms import MoneyField
from returns_desk.core.money import format_money
from returns_desk.orders.models import Product
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.returns import permissions as can
from returns_desk.returns import services
from returns_desk.returns.actions import ACTIONS
from returns_desk.returns.models import CARRIERS, ReturnItem, ReturnRequest
from returns_desk.returns.selectors import available_actions


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


class RefundForm(forms.Form):
    amount = MoneyField(label="Amount to refund", below_zero_message="A refund must be more than zero.")
    override_reason = forms.CharField(
        label="Why a different amount (needed when you change it)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reference = ReferenceForm.base_fields["reference"]

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        kwargs.setdefault("initial", {"amount": f"{(rr.refund_amount or 0) / 100:.2f}"})
        super().__init__(*args, **kwargs)
        self.rr = rr
        self.fields["amount"].help_text = f"Inspected amount: {rr.refund_amount_display}."

    def clean(self):
        data = super().clean()
        amount = data.get("amount")
        if amount is not None and amount != self.rr.refund_amount and not data.get("override_reason", "").strip():
            self.add_error("override_reason", "Say why the refund differs from the inspected amount.")
        return data


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

    @property
    def label(self) -> str:
        return ACTIONS[self.name].label


def _latest_manual_refund(rr: ReturnRequest) -> Refund:
    refund = rr.refunds.filter(provider=Refund.Provider.MANUAL, status=Refund.Status.PENDING).order_by("-id").first()
    if refund is None:
        raise ServiceError("There is no manual refund waiting for its outcome.")
    return refund


def _issue_refund(rr: ReturnRequest, by: Actor, form: RefundForm) -> str:
    data = form.cleaned_data
    amount = data["amount"]
    if amount > can.refund_limit_for(by.user):
        # Above the VA's limit the same form becomes a request for a manager's approval.
        services.return_request_refund_approval(
            return_request=rr,
            by=by,
            amount=amount,
            override_reason=data["override_reason"],
            note=f"Refund of {format_money(amount, rr.currency)} needs a manager's approval.",
        )
        return f"{format_money(amount, rr.currency)} is above your limit: sent to a manager for approval."
    services.return_issue_refund(
        return_request=rr,
        by=by,
        amount=amount,
        override_reason=data["override_reason"],
        reference=data["reference"],
    )
    return f"Refund of {format_money(amount, rr.currency)} sent."


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
        TicketAction(
            "request_refund_approval",
            NoteForm,
            lambda rr, by, f: (
                services.return_request_refund_approval(return_request=rr, by=by, note=f.cleaned_data["note"])
                and "Sent to a manager for approval."
            ),
        ),
        TicketAction(
            "approve_refund",
            ReferenceForm,
            lambda rr, by, f: (
                services.return_approve_refund(return_request=rr, by=by, reference=f.cleaned_data["reference"])
                and "Refund approved and sent."
            ),
        ),
        TicketAction(
            "deny_refund",
            ReasonForm,
            lambda rr, by, f: (
                services.return_deny_refund(return_request=rr, by=by, reason=f.cleaned_data["reason"])
                and "Refund denied; back to the VA with your reason."
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
        TicketAction(
            "retry_refund",
            ReferenceForm,
            lambda rr, by, f: (
                services.return_retry_refund(return_request=rr, by=by, reference=f.cleaned_data["reference"])
                and "Refund sent again."
            ),
        ),
        TicketAction(
            "issue_store_credit",
            ConfirmForm,
            lambda rr, by, f: services.return_issue_store_credit(return_request=rr, by=by),
            "Store credit issued.",
        ),
        TicketAction(
            "ship_exchange",
            ExchangeForm,
            lambda rr, by, f: (
                services.return_ship_exchange(
                    return_request=rr,
                    by=by,
                    carrier=f.cleaned_data["carrier"],
                    tracking_number=f.cleaned_data["tracking_number"],
                    replacement_skus=f.replacements(),
                )
                and "Exchange shipped."
            ),
            needs_return=True,
        ),
        TicketAction(
            "refund_without_return",
            ReferenceForm,
            lambda rr, by, f: (
                services.return_refund_without_return(return_request=rr, by=by, reference=f.cleaned_data["reference"])
                and "Refunded; the customer keeps the item."
            ),
        ),
        TicketAction(
            "close", ConfirmForm, lambda rr, by, f: services.return_close(return_request=rr, by=by) and "Closed."
        ),
    ]
}


def build_form(action: TicketAction, rr: ReturnRequest, data=None) -> forms.Form:
    kwargs = {"rr": rr} if action.needs_return else {}
    return action.form_class(data, prefix=action.name, **kwargs)


def actions_for(rr: ReturnRequest, user) -> list[TicketAction]:
    """The transitions this user may run on this return now, in the order a VA meets them."""
    names = available_actions(rr, Actor.staff(user))
    pending_manual = any(
        r.provider == Refund.Provider.MANUAL and r.status == Refund.Status.PENDING for r in rr.refunds.all()
    )
    if not pending_manual:  # Stripe reports those outcomes itself
        names = [n for n in names if n not in ("refund_succeeded", "refund_failed")]
    if "issue_refund" not in names and "request_refund_approval" in names and rr.status == "inspected":
        # The refund form itself turns into a request for approval above the limit.
        names = ["issue_refund", *[n for n in names if n != "request_refund_approval"]]
    offered = [ACTION_FORMS[n] for n in DISPLAY_ORDER if n in names]
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
