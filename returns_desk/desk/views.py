"""The VA workspace. Views validate, call a selector or service, and render."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from returns_desk.core import clock
from returns_desk.core.actors import Actor, display_name
from returns_desk.core.errors import AlreadyActedError, ServiceError
from returns_desk.core.money import format_money
from returns_desk.desk.actions.registry import TICKET_ACTIONS, actions_for, build_form
from returns_desk.desk.queues.counts import invalidate_counts, queue_counts
from returns_desk.desk.queues.definitions import Queue, queue_for, queues_for
from returns_desk.desk.queues.rows import page_of, queue_rows, rows_for_display
from returns_desk.documents.models import Document
from returns_desk.documents.responses import document_response
from returns_desk.documents.services import available_kinds
from returns_desk.payments import money_rule
from returns_desk.payments import selectors as money
from returns_desk.payments import services as payments
from returns_desk.payments.models import Dispute
from returns_desk.returns import services, sla
from returns_desk.returns.auto_approval import customer_standing
from returns_desk.returns.models import ReturnPhoto, ReturnRequest
from returns_desk.returns.responses import photo_response
from returns_desk.returns.selectors import return_for_ticket
from returns_desk.staff import two_factor
from returns_desk.staff.access import desk_staff, keeps_unsent, managers_only

from . import selectors as ticket_selectors
from .canned import fill
from .composer import KEPT_FIELDS, composer_on_arrival, mark_draft_sent, ticket_page_of
from .filters import ReturnFilter, staff_choices
from .forms import DisputeEvidenceForm, RedeemStoreCreditForm, ReplyForm
from .models import CannedResponse
from .notices import notices_mark_read
from .ticket_nav_views import ticket_walk


@desk_staff
def index(request):
    """A queue: its rows after the filters in the URL, 50 a page, with every queue's count beside it."""
    queue = queue_for(request.GET.get("queue"), request.user)
    base = ReturnRequest.objects.order_by(*queue.ordering, "-pk")
    staff = staff_choices()
    chosen = request.GET.copy()
    for key in ("queue", "page"):
        chosen.pop(key, None)
    filters = ReturnFilter(chosen or None, queryset=base, user=request.user, staff=staff)
    rows = queue_rows(queue, request.user, filters.qs if filters.is_bound else base)
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    page = page_of(rows, number)
    page.rows = rows_for_display(page.rows)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "queue": queue,
        "queues": queue_counts_list(request),
        "filters": filters,
        "page": page,
        "query": params.urlencode(),
        "filtering": any(v for v in chosen.values()),
        "staff": staff,
        "next_url": request.get_full_path(),
    }
    template = (
        "desk/includes/queue_table.html" if request.htmx and request.htmx.target == "queue-table" else "desk/index.html"
    )
    return render(request, template, context)


def queue_counts_list(request) -> list[tuple[Queue, int]]:
    counts = queue_counts(request.user)
    return [(q, counts[q.key]) for q in queues_for(request.user)]


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else fallback


@desk_staff
@require_POST
def bulk(request):
    """Assign or close the ticked returns; each is done or refused on its own, and the page says which."""
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    action = request.POST.get("action", "")
    back = _back(request, reverse("desk:index"))
    if not ids:
        messages.error(request, "Tick at least one return first.")
        return redirect(back)
    by = Actor.staff(request.user)
    if action == "close":
        result = services.returns_bulk_close(return_ids=ids, by=by)
        verb = "Closed"
    elif action.startswith("assign:"):
        who = action.removeprefix("assign:")
        assignee = request.user if who == "me" else None
        if who not in ("me", "none"):
            assignee = get_user_model().objects.filter(pk=who if who.isdigit() else 0).first()
            if assignee is None:
                messages.error(request, "Choose who to assign the returns to.")
                return redirect(back)
        result = services.returns_bulk_assign(return_ids=ids, assignee=assignee, by=by)
        verb = "Unassigned" if assignee is None else f"Assigned to {display_name(assignee)}"
    else:
        messages.error(request, "Choose what to do with the ticked returns.")
        return redirect(back)
    invalidate_counts()
    if result.done:
        messages.success(request, f"{verb}: {', '.join(result.done)}.")
    for rma, why in result.refused:
        messages.error(request, f"{rma} not changed: {why}")
    return redirect(back)


@desk_staff
@require_POST
def claim(request, pk: int):
    rr = get_object_or_404(ReturnRequest, pk=pk)
    try:
        services.return_claim(return_request=rr, by=Actor.staff(request.user))
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        invalidate_counts()
        messages.success(request, f"{rr.rma_number} is yours.")
    return redirect(_back(request, rr.get_absolute_url()))


def _ticket_page(request, rr: ReturnRequest, *, bound=None, composer=None, status=200, extra=None):
    """The ticket with its forms; `bound` is (action name, form) to show again with what was typed."""
    actions = actions_for(rr, request.user)
    names = [a.name for a in actions]
    # Only the open action's form is built; the others load when opened (htmx), or by ?open= without JS.
    wanted = bound[0] if bound and bound[0] in names else request.GET.get("open", "")
    open_action = wanted if wanted in names else (names[0] if names else "")
    forms = {a.name: build_form(a, rr, user=request.user) for a in actions if a.name == open_action}
    unsent = None
    if bound and bound[0] in names:
        forms[bound[0]] = bound[1]
    elif bound:  # the action is no longer possible: keep what was typed where the VA can copy it
        form = bound[1]
        typed = [(field.label, str(field.value() or "")) for field in form]
        unsent = (TICKET_ACTIONS[bound[0]].label, [(label, v) for label, v in typed if v.strip()])
    canned = list(CannedResponse.objects.filter(is_active=True))
    if composer is None:
        chosen = next((c for c in canned if str(c.pk) == request.GET.get("canned")), None)
        composer = ReplyForm(
            initial={"body": fill(chosen.body, rr), "canned": chosen.pk, "kind": "reply"} if chosen else None
        )
    positions = money_rule.positions_for([rr])
    context = {
        "rr": rr,
        "actions": [(a, forms.get(a.name)) for a in actions],
        "open_action": open_action,
        "unsent": unsent,
        "composer": composer,
        "canned": canned,
        "credit_codes": money.store_credit_codes(email=rr.email),
        "position": positions[rr.pk],
        "money_open": rr.status in MONEY_STEPS,
        "denied": _last_denial(rr),
        "approval": money.approval_summaries([rr], positions).get(rr.pk) if rr.status == "awaiting_approval" else None,
        "open_disputes": [d for d in rr.order.disputes.all() if d.is_open],
        "documents": [(kind, Document.Kind(kind).label) for kind in available_kinds(rr)],
        "policy": ticket_selectors.policy_panel(rr, positions[rr.pk]),
        "earlier": ticket_selectors.earlier_returns(rr),
        "standing": customer_standing(rr.email),
        "sla_state": sla.state_of(rr.sla_due_at, clock.now()),
        **ticket_walk(request, rr),
        **(extra or {}),
    }
    return render(request, "desk/ticket.html", context, status=status)


# Where money can still move on a return: the ticket shows what remains refundable then.
MONEY_STEPS = {"approved", "inspected", "awaiting_approval", "refund_failed"}


def _last_denial(rr: ReturnRequest):
    """The manager's denial the ticket came back with, while nothing has happened to it since."""
    transitions = [e for e in rr.events.all() if e.kind == "transition"]
    last = transitions[-1] if transitions else None
    return last if last is not None and last.transition == "deny_refund" else None


def _ticket_or_404(pk: int) -> ReturnRequest:
    try:
        return return_for_ticket(pk)
    except ReturnRequest.DoesNotExist:
        raise Http404("No return with that number.") from None


@desk_staff
def ticket(request, pk: int):
    composer, about = composer_on_arrival(request, pk)
    return _ticket_page(request, _ticket_or_404(pk), composer=composer, extra=about)


@desk_staff
def action_form(request, pk: int, action: str):
    """One action's form, fetched when its panel is opened (htmx); without htmx, the ticket with it open."""
    if not request.htmx:
        return redirect(f"{reverse('desk:ticket', args=[pk])}?open={action}#action-{action}")
    rr = _ticket_or_404(pk)
    spec = next((a for a in actions_for(rr, request.user) if a.name == action), None)
    if spec is None:
        return render(request, "desk/includes/action_unavailable.html", {"rr": rr}, status=409)
    context = {"rr": rr, "action": spec, "form": build_form(spec, rr, user=request.user)}
    return render(request, spec.template_name, context)


@desk_staff
@require_POST
def act(request, pk: int, action: str):
    """Run one transition from its small form; a refusal shows the ticket again with the text kept."""
    rr = _ticket_or_404(pk)
    spec = TICKET_ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    spec = spec.for_return(rr)
    form = build_form(spec, rr, request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, f"{spec.label}: please check the form below.")
        return _ticket_page(request, rr, bound=(action, form), status=400)
    try:
        notice = spec.handler(rr, Actor.staff(request.user), form)
    except AlreadyActedError as error:
        messages.error(request, str(error))
        return _ticket_page(request, _ticket_or_404(pk), bound=(action, form), status=409)
    except ServiceError as error:
        messages.error(request, str(error))
        return _ticket_page(request, _ticket_or_404(pk), bound=(action, form), status=400)
    invalidate_counts()
    messages.success(request, notice)
    return redirect(rr.get_absolute_url())


@keeps_unsent(*KEPT_FIELDS, back=ticket_page_of)
@desk_staff
@require_POST
def reply(request, pk: int):
    """Write to the customer (email and status page) or add an internal note; a canned response may also
    move the return ("Ask for photos" asks the customer and waits)."""
    rr = _ticket_or_404(pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _ticket_page(request, rr, composer=form, status=400)
    by = Actor.staff(request.user)
    body, kind = form.cleaned_data["body"], form.cleaned_data["kind"]
    canned = CannedResponse.objects.filter(pk=form.cleaned_data["canned"] or 0, is_active=True).first()
    try:
        if kind == "note":
            services.return_add_note(return_request=rr, by=by, body=body)
            done = "Internal note added."
        elif canned and canned.action == CannedResponse.Action.REQUEST_INFO:
            services.return_request_info(return_request=rr, by=by, question=body)
            done = "Question sent; the return waits for the customer's answer."
        elif canned and canned.action == CannedResponse.Action.REJECT:
            services.return_reject(return_request=rr, by=by, reason=body)
            done = "Rejected; the customer has been told why."
        elif canned and canned.action == CannedResponse.Action.APPROVE:
            with transaction.atomic():
                services.return_approve(return_request=rr, by=by)
                services.return_add_message(return_request=rr, by=by, body=body)
            done = "Approved, and your message sent."
        else:
            services.return_add_message(return_request=rr, by=by, body=body)
            done = "Reply sent to the customer."
    except AlreadyActedError as error:
        messages.error(request, str(error))
        return _ticket_page(request, _ticket_or_404(pk), composer=form, status=409)
    except ServiceError as error:
        messages.error(request, str(error))
        return _ticket_page(request, _ticket_or_404(pk), composer=form, status=400)
    invalidate_counts()
    mark_draft_sent(request, rr.pk)
    if kind != "note":  # the customer is answered: their news on this ticket is read
        notices_mark_read(user=request.user, return_request_id=rr.pk)
    messages.success(request, done)
    return redirect(rr.get_absolute_url())


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
                # Checked before anything is saved: a refused submit changes nothing.
                if action == "submit" and request.POST.get("reviewed") != "yes":
                    raise ServiceError("Tick “I reviewed this evidence” to submit it to the bank; it is final.")
                two_factor.check_for_money(request.user, back=request.path)  # evidence for money in dispute
                payments.dispute_stage_evidence(dispute=item, by=by, evidence=form.cleaned_data)
                if action in ("stage", "submit"):
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
            two_factor.check_for_money(request.user, back=request.get_full_path())
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
