"""The inbox's forms: file an email on a return, answer its sender, dismiss it, open a return from it."""

from django import forms

from returns_desk.orders.models import Order
from returns_desk.returns.models import ITEM_RESOLUTIONS, Resolution
from returns_desk.returns.pricing import RequestedItem


def _ids(email_id: int) -> str:
    """Field ids unique on a page that shows one set of forms per email."""
    return f"inbox-{email_id}-%s"


class FileEmailForm(forms.Form):
    inbound = forms.IntegerField(widget=forms.HiddenInput)
    rma = forms.CharField(label="File on return", max_length=40, help_text="RMA-000123, RMA 123 or 123", strip=True)

    def __init__(self, *args, email_id: int, **kwargs):
        super().__init__(*args, auto_id=_ids(email_id), initial={"inbound": email_id}, **kwargs)


class ReplyToSenderForm(forms.Form):
    body = forms.CharField(
        label="Reply to the sender",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent by email, threaded under their message. The email stays here until filed or dismissed.",
    )

    def __init__(self, *args, email_id: int, **kwargs):
        super().__init__(*args, auto_id=_ids(email_id), **kwargs)


class DismissEmailForm(forms.Form):
    reason = forms.CharField(
        label="Why it needs nothing more",
        max_length=255,
        help_text="For example: spam, a supplier's newsletter, answered by phone. Kept in the dismissed list.",
    )

    def __init__(self, *args, email_id: int, **kwargs):
        super().__init__(*args, auto_id=_ids(email_id), **kwargs)


class FindOrderForm(forms.Form):
    order = forms.CharField(
        label="Order number", max_length=32, help_text="As printed on the order confirmation (a leading # is fine)."
    )


class StartReturnForm(forms.Form):
    """Which lines of the order come back, why, and the outcome; the policy is checked when it is opened."""

    resolution = forms.ChoiceField(
        label="The customer wants",
        choices=[(r.value, r.label) for r in ITEM_RESOLUTIONS],
        initial=Resolution.REFUND,
    )
    note = forms.CharField(
        label="Note on the timeline (optional)",
        max_length=2_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, order: Order, reasons: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.lines = list(order.lines.all())
        for line in self.lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"How many of “{line.title}” ({line.sku}) come back",
                min_value=0,
                max_value=line.quantity,
                initial=0,
                required=False,  # left empty: none of this line
                help_text=f"Ordered: {line.quantity}" + (" · final sale" if line.final_sale else ""),
            )
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
                label=f"Reason for “{line.title}”", choices=[("", "—"), *reasons], required=False
            )

    def line_fields(self):
        """Each line's quantity and reason fields, side by side in the template."""
        return [(line, self[f"qty_{line.pk}"], self[f"reason_{line.pk}"]) for line in self.lines]

    def clean(self):
        cleaned = super().clean()
        chosen = [line for line in self.lines if (cleaned.get(f"qty_{line.pk}") or 0) > 0]
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose at least one item: set how many come back.")
        for line in chosen:
            if not cleaned.get(f"reason_{line.pk}"):
                self.add_error(f"reason_{line.pk}", "Choose why this item comes back.")
        return cleaned

    def requested_items(self) -> list[RequestedItem]:
        data = self.cleaned_data
        return [
            RequestedItem(line.pk, data[f"qty_{line.pk}"], data[f"reason_{line.pk}"])
            for line in self.lines
            if data.get(f"qty_{line.pk}")
        ]
