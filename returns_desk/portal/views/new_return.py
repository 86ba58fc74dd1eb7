"""Steps 2 to 4 of a new return, on the draft kept in the session: the items, the outcome, then review and confirm.

Each step works the figures out again from the database, so a stale page cannot confirm a stale price.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.orders.models import Order, Product
from returns_desk.policies.selectors import active_policy
from returns_desk.portal import draft as drafts
from returns_desk.portal import selectors
from returns_desk.portal.forms import OutcomeForm, ReturnLineForm
from returns_desk.returns.models import Resolution
from returns_desk.returns.photos import MAX_PHOTOS, stage_uploads
from returns_desk.returns.pricing import (
    RequestPlan,
    exchange_options,
    line_facts_for_order,
    order_facts,
    plan_request,
)
from returns_desk.returns.services import return_create


def _draft_and_order(request) -> tuple[drafts.Draft, Order] | None:
    draft = drafts.load(request)
    order = Order.objects.filter(pk=draft.order_id).first() if draft else None
    if draft is None or order is None:
        messages.info(request, "Please look up your order first.")
        return None
    return draft, order


# --- step 2: the items -----------------------------------------------------------------------------


def _line_forms(request, choices, draft, reasons):
    forms = []
    for choice in choices:
        if not choice.eligibility.eligible:
            continue
        saved = draft.lines.get(str(choice.line.pk), drafts.DraftLine())
        initial = {"quantity": saved.quantity, "reason": saved.reason, "description": saved.description}
        form = ReturnLineForm(
            request.POST or None,
            request.FILES or None,
            prefix=f"line-{choice.line.pk}",
            initial=initial,
            returnable=choice.eligibility.returnable_quantity,
            reasons=reasons,
        )
        form.choice, form.saved_photos = choice, saved.photos
        forms.append(form)
    return forms


@require_http_methods(["GET", "POST"])
def items(request):
    found = _draft_and_order(request)
    if found is None:
        return redirect("portal:start")
    draft, order = found
    choices = selectors.lines_for_return(order)
    forms = _line_forms(request, choices, draft, selectors.reason_choices())
    by_line = {form.choice.line.pk: form for form in forms}
    page_error, status = "", 200
    if request.method == "POST":
        all_valid = True
        for line_id, form in by_line.items():
            if not form.is_valid():
                all_valid = False
                continue
            data = form.cleaned_data
            kept = [] if data["remove_photos"] else list(form.saved_photos)
            if data["photos"]:
                try:
                    kept += stage_uploads(data["photos"], already=len(kept))
                except ServiceError as error:
                    form.add_error("photos", str(error))
                    all_valid = False
            # Keep what is valid even when another line needs fixing, so nothing typed is lost.
            draft.lines[str(line_id)] = drafts.DraftLine(data["quantity"], data["reason"], data["description"], kept)
            form.saved_photos = kept
        drafts.save(request, draft)
        if all_valid and not draft.chosen:
            page_error = (
                "Choose at least one item to return: set “How many to return” on the items you are sending back."
            )
        if all_valid and not page_error:
            return redirect("portal:outcome")
        status = 400
    context = {
        "order": order,
        "forms": forms,
        "ineligible": [c for c in choices if not c.eligibility.eligible],
        "earlier_returns": selectors.earlier_returns(order),
        "page_error": page_error,
        "max_photos": MAX_PHOTOS,
        "step": 2,
    }
    return render(request, "portal/items.html", context, status=status)


# --- step 3: the outcome ---------------------------------------------------------------------------


def _plans(order: Order, draft: drafts.Draft) -> dict[str, RequestPlan | str]:
    """Each outcome's quote for the chosen items, or why it is not possible."""
    reasons = selectors.reasons_by_code()
    items = draft.requested_items()
    facts, ofacts = line_facts_for_order(order), order_facts(order)
    plans: dict[str, RequestPlan | str] = {}
    for resolution in Resolution.values:
        try:
            plans[resolution] = plan_request(
                order=order, items=items, resolution=resolution, reasons=reasons, facts=facts, ofacts=ofacts
            )
        except ServiceError as error:
            plans[resolution] = str(error)
    return plans


def _exchange_labels(line, options) -> list[tuple[int, str]]:
    return [(p.pk, f"{p.variant or p.title}{' (the same again)' if p.pk == line.product_id else ''}") for p in options]


@require_http_methods(["GET", "POST"])
def outcome(request):
    found = _draft_and_order(request)
    if found is None:
        return redirect("portal:start")
    draft, order = found
    if not draft.chosen:
        return redirect("portal:items")
    plans = _plans(order, draft)
    if isinstance(plans[Resolution.REFUND], str):  # the items themselves are no longer returnable
        messages.error(request, plans[Resolution.REFUND])
        return redirect("portal:items")
    # Only the exchange options are needed here: eligibility and prices are already in `plans`.
    lines = list(order.lines.select_related("product").filter(pk__in=list(draft.chosen)).order_by("pk"))
    options = exchange_options(lines)
    exchange_lines = [(line.pk, line.title, _exchange_labels(line, options[line.pk])) for line in lines]
    no_exchange = [title for _, title, options in exchange_lines if not options]
    initial = {"resolution": draft.resolution or Resolution.REFUND}
    initial.update({f"exchange_{k}": v for k, v in draft.exchange.items()})
    form = OutcomeForm(request.POST or None, initial=initial, exchange_lines=exchange_lines)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.cleaned_data["resolution"] == Resolution.EXCHANGE and no_exchange:
            form.add_error("resolution", f"No other size or colour is in stock for {', '.join(no_exchange)}.")
        if form.is_valid():
            draft.resolution = form.cleaned_data["resolution"]
            draft.exchange = {str(k): v for k, v in form.exchange_choices().items() if v}
            drafts.save(request, draft)
            return redirect("portal:review")
        status = 400
    policy = active_policy()
    context = {
        "order": order,
        "form": form,
        "plans": plans,
        "no_exchange": no_exchange,
        "bonus_percent": policy.store_credit_bonus_percent,
        "step": 3,
    }
    return render(request, "portal/outcome.html", context, status=status)


# --- step 4: review and confirm --------------------------------------------------------------------


def _confirm(request, draft: drafts.Draft, order: Order):
    """Open the return and go to its page; None when it is refused, the reason shown at the top of the page."""
    try:
        rr = return_create(
            order=order,
            items=draft.requested_items(),
            resolution=draft.resolution,
            by=Actor.customer(),
            submission_key=draft.key,
        )
    except ServiceError as error:
        messages.error(request, str(error))
        return None
    drafts.clear(request)
    request.session["portal_just_created"] = rr.customer_token
    return redirect("portal:status", token=rr.customer_token)


def _review_rows(order: Order, draft: drafts.Draft, reasons) -> list[dict]:
    """One row for each chosen line: the line, what was chosen, the reason in words, the product wanted instead."""
    lines = {line.pk: line for line in order.lines.select_related("product")}
    wanted = {p.pk: p for p in _wanted_products(draft)}
    return [
        {
            "line": lines[line_id],
            "choice": choice,
            "reason_label": reasons[choice.reason].label if choice.reason in reasons else "",
            "exchange": wanted.get(draft.exchange.get(str(line_id)))
            if draft.resolution == Resolution.EXCHANGE
            else None,
        }
        for line_id, choice in sorted(draft.chosen.items())
    ]


def _wanted_products(draft: drafts.Draft):
    return Product.objects.filter(pk__in=list(draft.exchange.values())) if draft.exchange else []


@require_http_methods(["GET", "POST"])
def review(request):
    found = _draft_and_order(request)
    if found is None:
        return redirect("portal:start")
    draft, order = found
    if not draft.chosen:
        return redirect("portal:items")
    if not draft.resolution:
        return redirect("portal:outcome")
    if request.method == "POST" and (confirmed := _confirm(request, draft, order)) is not None:
        return confirmed
    reasons = selectors.reasons_by_code()
    try:
        plan = plan_request(order=order, items=draft.requested_items(), resolution=draft.resolution, reasons=reasons)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("portal:items")
    context = {
        "order": order,
        "rows": _review_rows(order, draft, reasons),
        "plan": plan,
        "resolution": Resolution(draft.resolution),
        "auto_approve": active_policy().auto_approve,
        "step": 4,
    }
    return render(request, "portal/review.html", context, status=400 if request.method == "POST" else 200)
