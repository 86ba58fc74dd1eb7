"""The VA workspace. Views validate, call a selector or service, and render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import format_money
from returns_desk.documents.models import Document
from returns_desk.documents.services import available_kinds
from returns_desk.documents.views import document_response
from returns_desk.payments import selectors as money
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute
from returns_desk.returns.actions import ACTIONS
from returns_desk.returns.models import ReturnPhoto, ReturnRequest
from returns_desk.returns.selectors import available_actions, return_for_ticket, returns_for_list
from returns_desk.returns.views import photo_response

from .access import desk_staff, managers_only
from .forms import DisputeEvidenceForm, RedeemStoreCreditForm


@desk_staff
def index(request):
    page = Paginator(returns_for_list(), 50).get_page(request.GET.get("page"))
    return render(request, "desk/index.html", {"page": page})


@desk_staff
def ticket(request, pk: int):
    try:
        rr = return_for_ticket(pk)
    except ReturnRequest.DoesNotExist:
        raise Http404("No return with that number.") from None
    actions = [ACTIONS[name].label for name in available_actions(rr, Actor.staff(request.user))]
    context = {
        "rr": rr,
        "actions": actions,
        "credit_codes": money.store_credit_codes(email=rr.email),
        "open_disputes": [d for d in rr.order.disputes.all() if d.is_open],
        "documents": [(kind, Document.Kind(kind).label) for kind in available_kinds(rr)],
    }
    return render(request, "desk/ticket.html", context)


@desk_staff
def ticket_document(request, pk: int, kind: str):
    return document_response(get_object_or_404(ReturnRequest, pk=pk), kind)


@desk_staff
def photo(request, pk: int):
    return photo_response(get_object_or_404(ReturnPhoto, pk=pk))


@managers_only
def disputes(request):
    rows = list(money.disputes_for_desk())
    context = {"open": [d for d in rows if d.is_open], "closed": [d for d in rows if not d.is_open]}
    return render(request, "desk/disputes.html", context)


@managers_only
@require_http_methods(["GET", "POST"])
def dispute(request, pk: int):
    item = get_object_or_404(Dispute.objects.select_related("order", "return_request"), pk=pk)
    by = Actor.staff(request.user)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "redraft":
            form = DisputeEvidenceForm(initial=payments.dispute_evidence_from_desk(item))
            messages.info(request, "Redrafted from the desk's records. Review it, then save or send.")
            return render(request, "desk/dispute.html", {"dispute": item, "form": form, "draft": True})
        form = DisputeEvidenceForm(request.POST)
        if form.is_valid():
            try:
                payments.dispute_stage_evidence(dispute=item, by=by, evidence=form.cleaned_data)
                if action in ("stage", "submit"):
                    if action == "submit" and request.POST.get("reviewed") != "yes":
                        raise ServiceError("Tick “I reviewed this evidence” to submit it to the bank; it is final.")
                    payments.dispute_send_evidence(dispute=item, by=by, submit=action == "submit")
                    messages.success(
                        request,
                        "Evidence sent to Stripe."
                        if action == "stage"
                        else "Evidence submitted to the bank. The outcome arrives by webhook.",
                    )
                else:
                    messages.success(request, "Evidence saved.")
                return redirect("desk:dispute", pk=item.pk)
            except ServiceError as error:
                messages.error(request, str(error))
        return render(request, "desk/dispute.html", {"dispute": item, "form": form})
    draft = not item.evidence
    form = DisputeEvidenceForm(initial=item.evidence or payments.dispute_evidence_from_desk(item))
    return render(request, "desk/dispute.html", {"dispute": item, "form": form, "draft": draft})


@desk_staff
@require_http_methods(["GET", "POST"])
def store_credit(request):
    query = (request.GET.get("q") or "").strip()
    form = RedeemStoreCreditForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            entry = payments.store_credit_redeem(
                code=form.cleaned_data["code"],
                amount=form.cleaned_data["amount"],
                by=Actor.staff(request.user),
                note=form.cleaned_data["note"],
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Redeemed {format_money(-entry.amount, entry.currency)} from {entry.code}.")
            return redirect(f"{request.path}?q={entry.code}")
    codes = []
    if query:
        codes = money.store_credit_codes(code=query) if "@" not in query else money.store_credit_codes(email=query)
    entries = money.store_credit_entries(codes[0].code) if len(codes) == 1 else []
    if len(codes) == 1 and not form.is_bound:
        form = RedeemStoreCreditForm(initial={"code": codes[0].code})
    return render(request, "desk/store_credit.html", {"form": form, "query": query, "codes": codes, "entries": entries})


@desk_staff
@require_http_methods(["GET", "POST"])
def inbox(request):
    """Emails no return claimed: a person reads them and files each on the right return."""
    from returns_desk.notifications.inbound import inbound_file_from_triage
    from returns_desk.notifications.models import InboundEmail

    errors = {}
    if request.method == "POST":
        inbound = get_object_or_404(InboundEmail, pk=request.POST.get("inbound"))
        try:
            inbound = inbound_file_from_triage(
                inbound=inbound, rma_number=request.POST.get("rma", ""), by=Actor.staff(request.user)
            )
        except ServiceError as error:
            errors[inbound.pk] = (str(error), request.POST.get("rma", ""))
        else:
            messages.success(request, f"Filed on {inbound.return_request.rma_number}.")
            return redirect("desk:inbox")
    triage = InboundEmail.objects.filter(status=InboundEmail.Status.TRIAGE).prefetch_related("attachments")[:100]
    rows = [(email, *errors.get(email.pk, ("", ""))) for email in triage]
    return render(request, "desk/inbox.html", {"rows": rows})
