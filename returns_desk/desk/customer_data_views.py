"""Customer data (managers only): look a customer up by email, download everything held about them, erase them.

Both actions are POSTs (each is audited, so no link preview or prefetch may run one); an erasure is confirmed by
typing the customer's address again. Refusals come back as the page with the reason, status 400.
"""

from django import forms
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.customers.selectors import customer_data_requests, retention_months
from returns_desk.staff.access import managers_only

from . import customer_data as rights

PAGE = "desk/customer_data.html"
REASON_HELP = "For the audit log, e.g. “their email of 3 May”. Leave the customer's name out."


class LookupForm(forms.Form):
    email = forms.EmailField(label="Customer's email address", max_length=254)


class ExportForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="export_%s", **kwargs)  # one page holds three forms: ids of its own

    email = forms.EmailField(widget=forms.HiddenInput, max_length=254)
    reason = forms.CharField(label="Why (optional)", required=False, max_length=200, help_text=REASON_HELP)


class EraseForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="erase_%s", **kwargs)

    email = forms.EmailField(widget=forms.HiddenInput, max_length=254)
    confirm = forms.CharField(label="Type the customer's email address to confirm", max_length=254)
    reason = forms.CharField(label="Why (optional)", required=False, max_length=200, help_text=REASON_HELP)

    def clean(self):
        cleaned = super().clean()
        email, typed = cleaned.get("email"), cleaned.get("confirm")
        if email and typed is not None and typed.strip().lower() != email.strip().lower():
            self.add_error("confirm", f"Type {email.strip().lower()} exactly as shown to confirm the erasure.")
        return cleaned


def _page(request, *, email: str = "", status: int = 200, **forms_shown):
    """The page, about `email` when one was given: what is held, what stops an erasure, the two forms."""
    context = {
        "lookup": LookupForm(initial={"email": email}),
        "history": customer_data_requests(),
        "retention_months": retention_months(),
        **forms_shown,
    }
    if email:
        held = rights.customer_holdings(email)
        context.update(
            email=held.email,
            summary=None if held.is_empty else rights.holdings_summary(held),
            blockers=[] if held.is_empty else rights.erasure_blockers(held),
        )
        context.setdefault("export_form", ExportForm(initial={"email": held.email}))
        context.setdefault("erase_form", EraseForm(initial={"email": held.email}))
    context["error_forms"] = [form for form in forms_shown.values() if form.is_bound]
    return render(request, PAGE, context, status=status)


def _valid_email(form: forms.Form) -> str:
    """The customer the posted form is about, if its address is valid (the page then shows them again)."""
    field = form.fields["email"]
    try:
        return field.clean(form.data.get("email", ""))
    except forms.ValidationError:
        return ""


@managers_only
@require_GET
def customer_data(request):
    lookup = LookupForm(request.GET or None)
    if not lookup.is_bound:
        return _page(request)
    if not lookup.is_valid():
        return _page(request, lookup=lookup, status=400)
    return _page(request, email=lookup.cleaned_data["email"])


@managers_only
@require_POST
def customer_data_export(request):
    form = ExportForm(request.POST)
    if form.is_valid():
        try:
            export = rights.customer_data_export(
                email=form.cleaned_data["email"], by=Actor.staff(request.user), reason=form.cleaned_data["reason"]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            response = FileResponse(
                export.archive, as_attachment=True, filename=export.filename, content_type="application/zip"
            )
            response["Cache-Control"] = "private, no-store"
            return response
    return _page(request, email=_valid_email(form), export_form=form, status=400)


@managers_only
@require_POST
def customer_data_erase(request):
    form = EraseForm(request.POST)
    if form.is_valid():
        try:
            erasure = rights.customer_data_erase(
                email=form.cleaned_data["email"], by=Actor.staff(request.user), reason=form.cleaned_data["reason"]
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Erased. What is kept of the customer (orders, returns, refunds, store credit) now carries "
                f"{erasure.placeholder}; their photos and attachments are deleted.",
            )
            return redirect("desk:customer-data")
    return _page(request, email=_valid_email(form), erase_form=form, status=400)
