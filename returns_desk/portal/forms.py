"""The customer's forms. Each keeps what was typed when something is wrong and says what, next to the field."""

from django import forms

from returns_desk.core.errors import ServiceError
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


class LookupForm(forms.Form):
    order_number = forms.CharField(
        label="Order number",
        max_length=32,
        help_text="Exactly as in your order confirmation email, letters and dashes included.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "autofocus": True}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="The address you ordered with.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


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


class OutcomeForm(forms.Form):
    resolution = forms.ChoiceField(label="What would you like?", choices=Resolution.choices, widget=forms.RadioSelect)

    def __init__(self, *args, exchange_lines: list[tuple[int, str, list[tuple[int, str]]]], **kwargs):
        """`exchange_lines`: (line id, title, [(product id, label)]) for each line being returned."""
        super().__init__(*args, **kwargs)
        self.exchange_field_names = []
        for line_id, title, options in exchange_lines:
            name = f"exchange_{line_id}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"Instead of {title}",
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "Choose size or colour…")] + options,
            )
            self.exchange_field_names.append(name)

    def clean(self):
        data = super().clean()
        if data.get("resolution") == Resolution.EXCHANGE:
            for name in self.exchange_field_names:
                if not data.get(name):
                    self.add_error(name, "Choose what you would like instead.")
        return data

    def exchange_choices(self) -> dict[int, int]:
        return {int(name.removeprefix("exchange_")): self.cleaned_data[name] for name in self.exchange_field_names}


class ShippedForm(forms.Form):
    carrier = forms.ChoiceField(label="Carrier", choices=[("", "Choose the carrier…")] + [(c, c) for c in CARRIERS])
    tracking_number = forms.CharField(label="Tracking number", max_length=100)

    def clean_tracking_number(self) -> str:
        number = " ".join(self.cleaned_data["tracking_number"].split())
        if len(number) < 6:
            raise forms.ValidationError("That looks too short for a tracking number; check the receipt.")
        return number


class MessageForm(forms.Form):
    body = forms.CharField(label="Your message", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


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
    )
    comment = forms.CharField(
        label="Anything you'd like to tell us? (optional)",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
