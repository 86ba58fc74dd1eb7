"""Form fields shared by the desk's forms."""

from django import forms

from .money import parse_money


class MoneyField(forms.CharField):
    """An amount as a person types it ("12.50", "$1,012.50"), cleaned to minor units, above zero.

    Each mistake gets its own message: "-5" is told it must be above zero, "12.345" that two decimals is
    the most, "twelve" that figures are wanted.
    """

    def __init__(self, *args, below_zero_message: str = "Enter an amount above zero.", **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.below_zero_message = below_zero_message

    def clean(self, value) -> int | None:
        text = super().clean(value)
        if text in self.empty_values:
            return None
        if text.strip().startswith("-"):
            raise forms.ValidationError(self.below_zero_message)
        try:
            amount = parse_money(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        if amount <= 0:
            raise forms.ValidationError(self.below_zero_message)
        return amount
