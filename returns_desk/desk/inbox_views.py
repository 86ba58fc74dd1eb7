"""The inbox: emails no return claimed, and what a VA does with each — file it on a return, answer its
sender, open a return for the sender's order, or dismiss it with a reason. Views validate, call a service
in `notifications.triage`, and render; a refusal shows the form again with what was typed and why."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.forms import Form
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.desk.queues.counts import invalidate_counts
from returns_desk.notifications import selectors as mail
from returns_desk.notifications.models import InboundEmail
from returns_desk.notifications.triage import (
    inbound_dismiss,
    inbound_file_from_triage,
    inbound_reply,
    inbound_start_return,
)
from returns_desk.orders.models import Order
from returns_desk.policies.models import ReasonCode
from returns_desk.staff.access import desk_staff

from .inbox_forms import DismissEmailForm, FileEmailForm, FindOrderForm, ReplyToSenderForm, StartReturnForm

GONE = "That email is no longer waiting in the inbox (someone filed or dismissed it)."


@dataclass
class InboxRow:
    email: InboundEmail
    suggestions: list
    forms: dict[str, Form] = field(default_factory=dict)
    open_form: str = ""


def _inbox_page(request, *, bound: tuple[int, str, Form] | None = None, status: int = 200):
    """The waiting emails, each with its forms; `bound` is (email id, form name, form) to show again."""
    emails = mail.triage_emails()
    suggestions = mail.returns_of_senders(e.from_email for e in emails)
    rows = []
    for email in emails:
        row = InboxRow(email=email, suggestions=suggestions.get(email.from_email.lower(), []))
        row.forms = {
            "file": FileEmailForm(email_id=email.pk),
            "reply": ReplyToSenderForm(email_id=email.pk),
            "dismiss": DismissEmailForm(email_id=email.pk),
        }
        if bound and bound[0] == email.pk:
            row.forms[bound[1]], row.open_form = bound[2], bound[1]
        rows.append(row)
    return render(request, "desk/inbox.html", {"rows": rows}, status=status)


def _waiting_or_none(pk) -> InboundEmail | None:
    return InboundEmail.objects.filter(pk=pk, status=InboundEmail.Status.TRIAGE).first()


@desk_staff
@require_http_methods(["GET", "POST"])
def inbox(request):
    """The list; a POST files one email on the return named (in any common RMA form)."""
    if request.method != "POST":
        return _inbox_page(request)
    raw_id = request.POST.get("inbound", "")
    email = _waiting_or_none(int(raw_id)) if raw_id.isdigit() else None
    if email is None:
        messages.error(request, GONE)
        return _inbox_page(request, status=400)
    form = FileEmailForm(request.POST, email_id=email.pk)
    if not form.is_valid():
        return _inbox_page(request, bound=(email.pk, "file", form), status=400)
    try:
        email = inbound_file_from_triage(
            inbound=email, rma_number=form.cleaned_data["rma"], by=Actor.staff(request.user)
        )
    except ServiceError as error:
        form.add_error("rma", str(error))
        return _inbox_page(request, bound=(email.pk, "file", form), status=400)
    invalidate_counts()
    messages.success(request, f"Filed on {email.return_request.rma_number}.")
    return redirect("desk:inbox")


def _answer_waiting_email(request, pk: int, *, name: str, form_class, field: str, act, done: str):
    """One inbox form on one waiting email: `act(email, text, by)` with the form's `field`, then `done` (formatted
    with the email) and back to the inbox; a refusal shows the inbox with the form, what was typed and why."""
    email = _waiting_or_none(pk)
    if email is None:
        messages.error(request, GONE)
        return redirect("desk:inbox")
    form = form_class(request.POST, email_id=pk)
    if form.is_valid():
        try:
            act(email, form.cleaned_data[field], Actor.staff(request.user))
        except ServiceError as error:
            form.add_error(field, str(error))
        else:
            messages.success(request, done.format(email=email))
            return redirect("desk:inbox")
    return _inbox_page(request, bound=(pk, name, form), status=400)


@desk_staff
@require_POST
def reply(request, pk: int):
    """Answer the sender by email (often: which order is this about?); the email stays in the inbox."""
    return _answer_waiting_email(
        request,
        pk,
        name="reply",
        form_class=ReplyToSenderForm,
        field="body",
        act=lambda email, text, by: inbound_reply(inbound=email, body=text, by=by),
        done="Reply to {email.from_email} queued; it is sent in a moment.",
    )


@desk_staff
@require_POST
def dismiss(request, pk: int):
    """Take the email out of the inbox with a reason; it is kept in the dismissed list."""
    return _answer_waiting_email(
        request,
        pk,
        name="dismiss",
        form_class=DismissEmailForm,
        field="reason",
        act=lambda email, text, by: inbound_dismiss(inbound=email, reason=text, by=by),
        done="Dismissed the email from {email.from_email}.",
    )


@desk_staff
@require_GET
def dismissed(request):
    return render(request, "desk/inbox_dismissed.html", {"emails": mail.dismissed_emails()})


def _find_order(request) -> tuple[FindOrderForm, Order | None]:
    """The order typed (in the query string, or posted with the lines); None until one is found."""
    source = request.POST if request.method == "POST" else request.GET
    if not source.get("order", "").strip():
        return FindOrderForm(), None
    find = FindOrderForm(source)
    if not find.is_valid():
        return find, None
    order = mail.order_by_number(find.cleaned_data["order"])
    if order is None:
        find.add_error("order", f"No order “{find.cleaned_data['order']}”. Check the number on the order.")
    return find, order


@desk_staff
@require_http_methods(["GET", "POST"])
def start_return(request, pk: int):
    """Open a return for the sender's order on their behalf and file the email on it: find the order, then
    choose the lines. The sender's orders are offered first; any order number can be typed."""
    email = _waiting_or_none(pk)
    if email is None:
        messages.error(request, GONE)
        return redirect("desk:inbox")
    find, order = _find_order(request)
    form = None
    if order is not None:
        reasons = list(ReasonCode.objects.filter(is_active=True).values_list("code", "label"))
        form = StartReturnForm(request.POST if request.method == "POST" else None, order=order, reasons=reasons)
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            rr = inbound_start_return(
                inbound=email,
                order=order,
                items=form.requested_items(),
                resolution=form.cleaned_data["resolution"],
                note=form.cleaned_data["note"],
                by=Actor.staff(request.user),
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            invalidate_counts()
            messages.success(request, f"Opened {rr.rma_number} for order {order.number}; the email is filed on it.")
            return redirect(rr.get_absolute_url())
    refused = request.method == "POST" or bool(find.errors)
    context = {
        "email": email,
        "find": find,
        "order": order,
        "form": form,
        "orders": mail.orders_of_sender(email.from_email),
    }
    return render(request, "desk/inbox_start_return.html", context, status=400 if refused else 200)
