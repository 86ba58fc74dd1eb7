"""Steps 2 to 4 of a new return, on the draft kept in the session: the items, the outcome, then review and confirm.

Each step works the figures out again from the database, so a stale page cannot confirm a stale price.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.core.money import format_money
from returns_desk.orders.models import Order, Product
from returns_desk.policies.selectors import active_policy
from returns_desk.portal import draft as drafts
from returns_desk.portal import selectors
from returns_desk.portal.forms import OutcomeForm, OutcomeLine, ReturnLineForm
from returns_desk.portal.throttle import client_address
from returns_desk.returns import photo_limits
from returns_desk.returns.models import Resolution
from returns_desk.returns.photos import MAX_PHOTOS, stage_uploads
from returns_desk.returns.pricing import (
    RequestPlan,
    eligibility_facts,
    exchange_options,
    overall_resolution,
    plan_request,
    why_no_exchange,
)
from returns_desk.returns.services import return_create


def _draft_and_order(request) -> tuple[drafts.Draft, Order] | None:
    draft = drafts.load(request)
    order = selectors.order_for_draft(draft.order_id) if draft else None
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
        form.summary_name = choice.line.title  # "Linen shirt: Choose why…" in the error summary
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
    if request.method == "POST" and not drafts.is_current(request, draft):
        return _stale_form(request, "portal:items")
    if request.method == "POST":
        all_valid = True
        for line_id, form in by_line.items():
            if not form.is_valid():
                all_valid = False
                continue
            data = form.cleaned_data
            kept = [] if data["remove_photos"] else list(form.saved_photos)
            if data["photos"]:
                try:  # counted per client before the raw files are kept; given back if refused
                    with photo_limits.counted(client=client_address(request), count=len(data["photos"])):
                        kept += stage_uploads(data["photos"], already=len(kept))
                except ServiceError as error:
                    form.add_error("photos", str(error))
                    all_valid = False
            # Keep what is valid even when another line needs fixing, so nothing typed is lost.
            earlier = draft.lines.get(str(line_id), drafts.DraftLine())
            draft.lines[str(line_id)] = drafts.DraftLine(
                data["quantity"], data["reason"], data["description"], kept, earlier.resolution
            )
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
        "draft_key": draft.key,
        "step": 2,
    }
    return render(request, "portal/items.html", context, status=status)


# --- step 3: the outcome, item by item -------------------------------------------------------------


def _outcome_lines(order: Order, draft: drafts.Draft) -> list[OutcomeLine]:
    """Each chosen line with what it is worth and what it can be exchanged for (or why not)."""
    lines = sorted((line for line in order.lines.all() if line.pk in draft.chosen), key=lambda line: line.pk)
    options = exchange_options(lines)
    bonus = float(active_policy().store_credit_bonus_percent)
    result = []
    for line in lines:
        amount = line.unit_price * draft.chosen[line.pk].quantity
        result.append(
            OutcomeLine(
                line_id=line.pk,
                title=line.title,
                quantity=draft.chosen[line.pk].quantity,
                amount_display=format_money(amount, order.currency),
                bonus_percent=bonus,
                exchange_options=_exchange_labels(line, options[line.pk], order.currency),
                no_exchange="" if options[line.pk] else why_no_exchange(line),
            )
        )
    return result


def _exchange_labels(line, options, currency: str) -> list[tuple[int, str]]:
    """'Blue / M' for the same price; a cheaper one says the difference comes back as store credit."""
    labels = []
    for p in options:
        name = p.variant or p.title
        if p.pk == line.product_id:
            labels.append((p.pk, f"{name} (the same again)"))
        elif p.price < line.unit_price:
            difference = format_money(line.unit_price - p.price, currency)
            labels.append((p.pk, f"{name}: {difference} less each, given back as store credit"))
        else:
            labels.append((p.pk, name))
    return labels


def _stale_form(request, step: str):
    """A form from another draft (an older tab): say so and show this step of the current one."""
    messages.warning(
        request,
        "That page was for a return you started earlier. Nothing was changed; here is the return you are "
        "working on now.",
    )
    return redirect(step)


def _refund_plan(order: Order, draft: drafts.Draft, reasons, *, priced: bool) -> RequestPlan:
    """The draft checked against the policy as an all-refund request; `priced=False` checks it without reading
    the order's money, so its figures must not be shown (eligibility never depends on them)."""
    return plan_request(
        order=order,
        items=draft.requested_items(),
        resolution=Resolution.REFUND,
        reasons=reasons,
        facts=selectors.facts_for(order),
        ofacts=None if priced else eligibility_facts(order),
    )


@require_http_methods(["GET", "POST"])
def outcome(request):
    found = _draft_and_order(request)
    if found is None:
        return redirect("portal:start")
    draft, order = found
    if not draft.chosen:
        return redirect("portal:items")
    if request.method == "POST" and not drafts.is_current(request, draft):
        return _stale_form(request, "portal:outcome")
    reasons = selectors.reasons_by_code()
    try:  # the items themselves may no longer be returnable (another return took them, the window closed)
        # A valid choice only needs the check: the page's fees are priced (reading the order's money) when shown.
        plan = _refund_plan(order, draft, reasons, priced=request.method != "POST")
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("portal:items")
    lines = _outcome_lines(order, draft)
    initial = {f"outcome_{line_id}": line.resolution or Resolution.REFUND for line_id, line in draft.chosen.items()}
    initial.update({f"exchange_{k}": v for k, v in draft.exchange.items()})
    form = OutcomeForm(request.POST or None, initial=initial, lines=lines)
    if request.method == "POST" and not form.is_valid():
        plan = _refund_plan(order, draft, reasons, priced=True)
    elif request.method == "POST":
        for line_id, (resolution, wanted) in form.choices().items():
            draft.lines[str(line_id)].resolution = resolution
            if wanted:
                draft.exchange[str(line_id)] = wanted
            else:
                draft.exchange.pop(str(line_id), None)
        drafts.save(request, draft)
        return redirect("portal:review")
    context = {
        "order": order,
        "form": form,
        "draft_key": draft.key,
        "returnless_possible": plan.returnless,
        # The fees these reasons carry (on an all-refund quote): they come off money and credit, not exchanges.
        "fees": [line for line in plan.quote.breakdown if line.amount < 0],
        "currency": order.currency,
        "bonus_percent": active_policy().store_credit_bonus_percent,
        "step": 3,
    }
    return render(request, "portal/outcome.html", context, status=400 if request.method == "POST" else 200)


# --- step 4: review and confirm --------------------------------------------------------------------


def _confirm(request, draft: drafts.Draft, order: Order):
    """Open the return and go to its page; None when it is refused, the reason shown at the top of the page."""
    try:
        rr = return_create(
            order=order,
            items=draft.requested_items(),
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
    lines = {line.pk: line for line in order.lines.all()}
    wanted = {p.pk: p for p in _wanted_products(draft)}
    return [
        {
            "line": lines[line_id],
            "choice": choice,
            "outcome": Resolution(choice.resolution).label,
            "reason_label": reasons[choice.reason].label if choice.reason in reasons else "",
            "exchange": wanted.get(draft.exchange.get(str(line_id)))
            if choice.resolution == Resolution.EXCHANGE
            else None,
        }
        for line_id, choice in sorted(draft.chosen.items())
    ]


def _parts_for_customer(quote) -> list[tuple[str, str]]:
    """What comes back as each outcome, the store credit with its bonus: the parts add up to the total."""
    return [
        (
            Resolution(outcome).label,
            quote.display(amount + (quote.store_credit_bonus if outcome == Resolution.STORE_CREDIT else 0)),
        )
        for outcome, amount in quote.parts
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
    if not draft.outcomes_chosen:
        return redirect("portal:outcome")
    if request.method == "POST" and not drafts.is_current(request, draft):
        return _stale_form(request, "portal:review")
    if request.method == "POST" and (confirmed := _confirm(request, draft, order)) is not None:
        return confirmed
    reasons = selectors.reasons_by_code()
    items = draft.requested_items()
    try:
        plan = plan_request(
            order=order,
            items=items,
            resolution=overall_resolution(items),
            reasons=reasons,
            facts=selectors.facts_for(order),
        )
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("portal:items")
    context = {
        "order": order,
        "rows": _review_rows(order, draft, reasons),
        "plan": plan,
        "resolution": Resolution(overall_resolution(items)),
        "parts": _parts_for_customer(plan.quote),
        "exchanged": any(i.resolution == Resolution.EXCHANGE for i in items),
        "draft_key": draft.key,
        "auto_approve": active_policy().auto_approve,
        "step": 4,
    }
    return render(request, "portal/review.html", context, status=400 if request.method == "POST" else 200)
