from django import forms

from returns_desk.core.forms import MoneyField


class DisputeEvidenceForm(forms.Form):
    """Stripe's evidence fields that the desk can fill from what it knows; a manager reviews them."""

    customer_name = forms.CharField(required=False, max_length=200)
    customer_email_address = forms.EmailField(required=False, label="Customer email")
    shipping_address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    shipping_carrier = forms.CharField(required=False, max_length=50, label="Carrier of the returned parcel")
    shipping_tracking_number = forms.CharField(required=False, max_length=100, label="Tracking number")
    refund_policy_disclosure = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="How the policy was shown to the customer."
    )
    refund_refusal_explanation = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the refund was refused, if it was."
    )
    uncategorized_text = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        label="Timeline and notes",
        help_text="The return's timeline, inspection notes and refunds, as the bank will read them.",
    )


class RedeemStoreCreditForm(forms.Form):
    code = forms.CharField(max_length=20, label="Store credit code")
    amount = MoneyField(
        label="Amount to redeem", help_text="For example 12.50", below_zero_message="Redeem an amount above zero."
    )
    note = forms.CharField(max_length=255, required=False, label="Note (order number, reason)")


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        label="Send as",
        choices=[("reply", "Reply to the customer (email and status page)"), ("note", "Internal note (desk only)")],
        widget=forms.RadioSelect,
        initial="reply",
    )
    body = forms.CharField(label="Message", max_length=10_000, widget=forms.Textarea(attrs={"rows": 5}))
    canned = forms.IntegerField(required=False, widget=forms.HiddenInput)
