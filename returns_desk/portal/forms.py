"""The customer's forms. Each keeps what was typed when something is wrong and says what, next to the field."""

from dataclasses import dataclass

from django import forms
from django.conf import settings

from returns_desk.core.errors import ServiceError
from returns_desk.orders.selectors import normalise_order_number
from returns_desk.returns.models import CARRIERS, Resolution
from returns_desk.returns.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, Upload, check_uploads

PHOTO_TYPES = "image/jpeg,image/png,image/webp"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one field (Django's documented pattern), checked by content as a batch."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_TYPES}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", f"JPEG, PNG or WebP; up to {MAX_PHOTOS} photos of at most 5 MB each.")
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list[Upload]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError("Choose at least one photo.")
            return []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"You can add at most {MAX_PHOTOS} photos at a time.")
        uploads = []
        for upload in files:
            if upload.size > MAX_PHOTO_BYTES:  # refuse before reading a large file into memory
                raise forms.ValidationError(f"“{upload.name}” is larger than 5 MB. Please send a smaller photo.")
            uploads.append(Upload(name=upload.name, content=upload.read()))
        try:
            check_uploads(uploads)
        except ServiceError as error:
            raise forms.ValidationError(str(error)) from error
        return uploads


def order_number_hint() -> str:
    """The hint under "Order number", matching what the lookup accepts (see `orders.selectors`)."""
    prefix = settings.PORTAL_ORDER_NUMBER_PREFIX
    if not prefix:
        return "In your order confirmation email, for example 100123."
    return f"In your order confirmation email, for example {prefix}100123 (typing just 100123 works too)."


class LookupForm(forms.Form):
    order_number = forms.CharField(
        label="Order number",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "autofocus": True}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="The address you ordered with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order_number"].help_text = order_number_hint()

    def clean_order_number(self) -> str:
        number = self.cleaned_data["order_number"]
        if not normalise_order_number(number):
            raise forms.ValidationError("Enter the order number from your order confirmation email.")
        return number


class OrdersLinkForm(forms.Form):
    """The "Email me a link to my orders" form: only the address, with the prefix "link" beside the lookup form."""

    # Not labelled "Email": the lookup's field beside it is, and that label finds that field alone.
    email = forms.EmailField(
        label="Send the link to",
        max_length=254,
        help_text="The email address you ordered with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class StartFromLinkForm(forms.Form):
    """The "Start a return" button beside an order on the orders page."""

    order = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReturnLineForm(forms.Form):
    """One line of the order: how many to send back, why, in the customer's words, and photos."""

    quantity = forms.TypedChoiceField(label="How many to return", coerce=int, required=False, empty_value=0)
    reason = forms.ChoiceField(label="Reason", required=False)
    description = forms.CharField(
        label="What is wrong, in your words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(label="Photos (optional)")
    remove_photos = forms.BooleanField(label="Remove the photos already added", required=False)

    def __init__(self, *args, returnable: int, reasons: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].choices = [(0, "None")] + [(n, str(n)) for n in range(1, returnable + 1)]
        self.fields["reason"].choices = [("", "Choose a reason…")] + reasons

    def clean(self):
        data = super().clean()
        if data.get("quantity") and not data.get("reason"):
            self.add_error("reason", "Choose why you are returning this item.")
        return data


@dataclass(frozen=True)
class OutcomeLine:
    """One item on the outcome step: what it is worth, and the sizes or colours it can be exchanged for."""

    line_id: int
    title: str
    quantity: int
    amount_display: str  # what the items are worth, before any fee
    bonus_percent: float
    exchange_options: list[tuple[int, str]]
    no_exchange: str  # why there is no exchange option, when there is none


class OutcomeForm(forms.Form):
    """For each item: refund, store credit, or an exchange to another size or colour where one is in stock."""

    def __init__(self, *args, lines: list[OutcomeLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            bonus = f" with a {line.bonus_percent:g}% bonus" if line.bonus_percent else ""
            choices = [
                (Resolution.REFUND.value, "Refund to my original payment"),
                (Resolution.STORE_CREDIT.value, f"Store credit{bonus}"),
            ]
            if line.exchange_options:
                choices.append((Resolution.EXCHANGE.value, "Exchange for another size or colour"))
            self.fields[f"outcome_{line.line_id}"] = forms.ChoiceField(
                label=f"{line.quantity} × {line.title} ({line.amount_display})",
                choices=choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose what you would like for {line.title}.",
                    "invalid_choice": line.no_exchange or f"Choose refund, store credit or exchange for {line.title}.",
                },
            )
            if line.exchange_options:
                self.fields[f"exchange_{line.line_id}"] = forms.TypedChoiceField(
                    label=f"Instead of {line.title}",
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=[("", "Choose size or colour…"), *line.exchange_options],
                )

    def rows(self):
        """(line, its outcome field, its exchange field or None) for the template."""
        return [
            (
                line,
                self[f"outcome_{line.line_id}"],
                self[f"exchange_{line.line_id}"] if line.exchange_options else None,
            )
            for line in self.lines
        ]

    def clean(self):
        data = super().clean()
        for line in self.lines:
            if data.get(f"outcome_{line.line_id}") == Resolution.EXCHANGE and not data.get(f"exchange_{line.line_id}"):
                self.add_error(f"exchange_{line.line_id}", f"Choose what you would like instead of {line.title}.")
        return data

    def choices(self) -> dict[int, tuple[str, int | None]]:
        """Line id -> (outcome, product wanted in exchange or None)."""
        data = self.cleaned_data
        return {
            line.line_id: (
                data[f"outcome_{line.line_id}"],
                data.get(f"exchange_{line.line_id}")
                if data[f"outcome_{line.line_id}"] == Resolution.EXCHANGE
                else None,
            )
            for line in self.lines
        }


class ShippedForm(forms.Form):
    carrier = forms.ChoiceField(
        label="Carrier",
        choices=[("", "Choose the carrier…")] + [(c, c) for c in CARRIERS],
        error_messages={"required": "Choose the carrier you sent the parcel with."},
    )
    tracking_number = forms.CharField(
        label="Tracking number",
        max_length=100,
        error_messages={"required": "Enter the tracking number from your receipt."},
    )

    def clean_tracking_number(self) -> str:
        number = " ".join(self.cleaned_data["tracking_number"].split())
        if len(number) < 6:
            raise forms.ValidationError("That looks too short for a tracking number; check the receipt.")
        return number


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write your message before sending it."},
    )


class AddPhotosForm(forms.Form):
    item = forms.TypedChoiceField(label="Photos of", coerce=int)
    photos = PhotosField(label="Photos", required=True)

    def __init__(self, *args, items: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why are you cancelling? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How did we do?",
        coerce=int,
        choices=[(5, "5 — Excellent"), (4, "4 — Good"), (3, "3 — OK"), (2, "2 — Poor"), (1, "1 — Very poor")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5."},
    )
    comment = forms.CharField(
        label="Anything you'd like to tell us? (optional)",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
