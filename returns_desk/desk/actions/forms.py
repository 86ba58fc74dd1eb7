"""The ticket's action forms: one small form per transition, asking only what its service needs.

Forms built for one return (items, amounts) take it as `rr`; the registry says which ones do.
"""

from django import forms

from returns_desk.core.actors import Actor
from returns_desk.core.forms import MoneyField
from returns_desk.core.money import format_money
from returns_desk.orders.models import Product
from returns_desk.payments import money_rule
from returns_desk.payments import services as payments
from returns_desk.payments.models import Refund
from returns_desk.payments.providers import provider_name_for
from returns_desk.returns import services
from returns_desk.returns.models import (
    CARRIERS,
    MoneyOutcome,
    Resolution,
    ReturnItem,
    ReturnRequest,
    ReturnStatus,
)


class ConfirmForm(forms.Form):
    """An action with nothing to ask: the button is the form."""


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note for the customer (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the customer on their return's page and in their email.",
    )


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


def manual_reference_field(what: str = "") -> forms.CharField:
    """The bank's reference of a refund made outside Stripe (required by the form when the order was not
    paid through Stripe, removed when it was)."""
    return forms.CharField(
        label="Payment reference of the refund you made",
        required=False,
        max_length=100,
        help_text=f"Orders not paid through Stripe: refund {what or 'it'} in your bank or back office first, then "
        "record it here.",
    )


class RefundForm(MoneyForm):
    amount_label = "Amount to refund"
    reference = manual_reference_field()

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
    """Per item in the parcel: its outcome, grade and disposition; for an item not accepted, the reason the
    customer reads and what happens to it. The desk's own note stays on the desk."""

    FIELDS = ("outcome", "grade", "disposition", "customer_note", "rejected_handling", "note")

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
            self.fields[f"customer_note_{item.pk}"] = forms.CharField(
                label="Why it was not accepted (shown to the customer)",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text="Needed when the item is not accepted; the customer reads it on their page and email.",
            )
            self.fields[f"rejected_handling_{item.pk}"] = forms.ChoiceField(
                label="What happens to it (shown to the customer)",
                required=False,
                choices=[("", "—"), *ReturnItem.RejectedHandling.choices],
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label="Desk note (not shown to the customer)", required=False, max_length=1000
            )

    def item_rows(self):
        return [(item, [self[f"{name}_{item.pk}"] for name in self.FIELDS]) for item in self.items]

    def clean(self):
        data = super().clean()
        for item in self.items:
            outcome = data.get(f"outcome_{item.pk}")
            if outcome == ReturnItem.Outcome.ACCEPTED and not data.get(f"disposition_{item.pk}"):
                self.add_error(f"disposition_{item.pk}", "Say what happens to an accepted item.")
            if outcome in services.EXPLAINED_OUTCOMES:
                if not (data.get(f"customer_note_{item.pk}") or "").strip():
                    self.add_error(f"customer_note_{item.pk}", "Tell the customer why the item was not accepted.")
                if not data.get(f"rejected_handling_{item.pk}"):
                    self.add_error(f"rejected_handling_{item.pk}", "Say what happens to the item.")
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
                customer_note=data[f"customer_note_{item.pk}"],
                rejected_handling=data[f"rejected_handling_{item.pk}"],
            )
            for item in self.items
        ]


class ExchangeForm(TrackingForm):
    """The replacement for each accepted item (the customer's choice first), and the parcel's tracking."""

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, **kwargs)
        accepted = payments.exchanged_items(rr)
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


class SettleForm(ExchangeForm):
    """A return settled item by item: the replacements and their parcel when any item is exchanged, and the
    payment reference when a refund part is made outside Stripe."""

    reference = manual_reference_field("the refund part")

    def __init__(self, *args, rr: ReturnRequest, **kwargs):
        super().__init__(*args, rr=rr, **kwargs)
        parts = rr.settlement_parts or {}
        self.parts = [
            (Resolution(outcome).label, format_money(int(amount), rr.currency))
            for outcome, amount in parts.items()
            if outcome in Resolution.values
        ]
        if not self.item_fields:  # nothing to ship
            del self.fields["carrier"], self.fields["tracking_number"]
        if not parts.get(Resolution.REFUND) or provider_name_for(rr.order.payment_reference) == Refund.Provider.STRIPE:
            del self.fields["reference"]
        else:
            self.fields["reference"].required = True
