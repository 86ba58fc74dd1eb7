"""The customer's pages: start a return in four steps, then follow it by its unguessable link.

The customer has no account. The order number with the order's email opens a draft kept in the session;
after confirming, the return's own link (its customer token) opens that return, and only that one.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.documents.models import Document
from returns_desk.documents.services import available_kinds
from returns_desk.documents.views import document_response
from returns_desk.orders.models import Order, Product
from returns_desk.orders.selectors import order_for_customer
from returns_desk.policies.selectors import active_policy
from returns_desk.returns import services
from returns_desk.returns.models import Resolution, ReturnPhoto
from returns_desk.returns.photos import MAX_PHOTOS, stage_uploads
from returns_desk.returns.views import photo_response

from . import draft as drafts
from . import selectors
from .copy import STATUS_WORDS
from .forms import (
    AddPhotosForm,
    CancelForm,
    LookupForm,
    MessageForm,
    OutcomeForm,
    ReturnLineForm,
    ShippedForm,
    SurveyForm,
)
from .throttle import lookup_allowed

NOT_FOUND = (
    "We couldn't find an order with that number and email address. "
    "Please check both against your order confirmation email."
)
TOO_MANY = "Too many attempts for this order or email address. Please wait 15 minutes and try again."


# --- starting a return ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request):
    form = LookupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        number, email = form.cleaned_data["order_number"], form.cleaned_data["email"]
        if not lookup_allowed(email=email, order_number=number):
            form.add_error(None, TOO_MANY)
            status = 429
        elif (order := order_for_customer(number=number, email=email)) is None:
            form.add_error(None, NOT_FOUND)
            status = 400
        else:
            drafts.start(request, order.pk)
            return redirect("portal:items")
    elif request.method == "POST":
        status = 400
    return render(request, "customer/start.html", {"form": form, "step": 1}, status=status)


def _draft_and_order(request) -> tuple[drafts.Draft, Order] | None:
    draft = drafts.load(request)
    order = Order.objects.filter(pk=draft.order_id).first() if draft else None
    if draft is None or order is None:
        messages.info(request, "Please look up your order first.")
        return None
    return draft, order


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
    return render(request, "customer/items.html", context, status=status)


def _plans(order: Order, draft: drafts.Draft) -> dict[str, services.RequestPlan | str]:
    """Each outcome's quote for the chosen items, or why it is not possible."""
    reasons = selectors.reasons_by_code()
    items = draft.requested_items()
    facts, ofacts = services.line_facts_for_order(order), services.order_facts(order)
    plans: dict[str, services.RequestPlan | str] = {}
    for resolution in Resolution.values:
        try:
            plans[resolution] = services.plan_request(
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
    options = services.exchange_options(lines)
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
    return render(request, "customer/outcome.html", context, status=status)


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
    if request.method == "POST":
        try:
            rr = services.return_create(
                order=order,
                items=draft.requested_items(),
                resolution=draft.resolution,
                by=Actor.customer(),
                submission_key=draft.key,
            )
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            drafts.clear(request)
            request.session["portal_just_created"] = rr.customer_token
            return redirect("portal:status", token=rr.customer_token)
    reasons = selectors.reasons_by_code()
    try:
        plan = services.plan_request(
            order=order, items=draft.requested_items(), resolution=draft.resolution, reasons=reasons
        )
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("portal:items")
    lines = {line.pk: line for line in order.lines.select_related("product")}
    wanted = {p.pk: p for p in _wanted_products(draft)}
    rows = [
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
    context = {
        "order": order,
        "rows": rows,
        "plan": plan,
        "resolution": Resolution(draft.resolution),
        "auto_approve": active_policy().auto_approve,
        "step": 4,
    }
    return render(request, "customer/review.html", context, status=400 if request.method == "POST" else 200)


def _wanted_products(draft: drafts.Draft):
    return Product.objects.filter(pk__in=list(draft.exchange.values())) if draft.exchange else []


# --- following a return --------------------------------------------------------------------------


def _return_by_token(token: str):
    rr = selectors.return_for_customer(token)
    if rr is None:
        raise Http404("No return matches this link.")
    return rr


def _survey(rr):
    try:
        return rr.survey
    except rr.__class__.survey.RelatedObjectDoesNotExist:
        return None


def _status_page(request, rr, *, forms=None, status=200, open_panel=""):
    items = list(selectors.customer_items(rr))
    headline, next_step = STATUS_WORDS[rr.status]
    if rr.returnless and rr.status in ("requested", "approved"):
        next_step = "No need to send anything back: you can keep the item. We refund you once the return is approved."
    forms = forms or {}
    item_choices = [(item.pk, item.order_line.title) for item in items]
    context = {
        "rr": rr,
        "headline": headline,
        "next_step": next_step,
        "deadline": selectors.next_deadline(rr),
        "events": selectors.customer_timeline(rr),
        "items": items,
        "documents": [(kind, Document.Kind(kind).label) for kind in available_kinds(rr)],
        "can_cancel": selectors.customer_can_cancel(rr),
        "can_ship": selectors.customer_can_ship(rr),
        "can_add_photos": rr.is_open,
        "survey": _survey(rr),
        "survey_open": rr.status in services.SURVEY_OPEN_STATUSES,
        "shipped_form": forms.get("shipped") or ShippedForm(),
        "message_form": forms.get("message") or MessageForm(),
        "photos_form": forms.get("photos") or AddPhotosForm(items=item_choices),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "survey_form": forms.get("survey") or SurveyForm(),
        "just_created": request.session.pop("portal_just_created", None) == rr.customer_token,
        "status_link": request.build_absolute_uri(reverse("portal:status", args=[rr.customer_token])),
        "open_panel": open_panel,
    }
    return render(request, "customer/status.html", context, status=status)


def status(request, token: str):
    return _status_page(request, _return_by_token(token))


def _act(request, rr, form_name: str, form, action) -> object:
    """Run a customer action; on a refusal show the page again with what was typed and the reason."""
    if form.is_valid():
        try:
            done = action(form.cleaned_data)
        except ServiceError as error:
            messages.error(request, str(error))  # at the top: the form's own section may no longer be shown
        else:
            messages.success(request, done)
            return redirect("portal:status", token=rr.customer_token)
    return _status_page(request, rr, forms={form_name: form}, status=400, open_panel=form_name)


@require_POST
def shipped(request, token: str):
    rr = _return_by_token(token)

    def action(data):
        services.return_mark_in_transit(
            return_request=rr, by=Actor.customer(), carrier=data["carrier"], tracking_number=data["tracking_number"]
        )
        return "Thank you. We'll let you know when your parcel arrives."

    return _act(request, rr, "shipped", ShippedForm(request.POST), action)


@require_POST
def message(request, token: str):
    rr = _return_by_token(token)

    def action(data):
        services.return_customer_reply(return_request=rr, body=data["body"])
        return "Your message was sent to our returns team."

    return _act(request, rr, "message", MessageForm(request.POST), action)


@require_POST
def photos(request, token: str):
    rr = _return_by_token(token)
    items = [(item.pk, item.order_line.title) for item in rr.items.select_related("order_line")]
    form = AddPhotosForm(request.POST, request.FILES, items=items)

    def action(data):
        added = services.return_add_photos(
            return_request=rr, item_id=data["item"], uploads=data["photos"], by=Actor.customer()
        )
        return f"{len(added)} photo{'s' if len(added) != 1 else ''} added."

    return _act(request, rr, "photos", form, action)


@require_POST
def cancel(request, token: str):
    rr = _return_by_token(token)

    def action(data):
        services.return_cancel(return_request=rr, by=Actor.customer(), reason=data["reason"])
        return "Your return is cancelled. Nothing more will happen with it."

    return _act(request, rr, "cancel", CancelForm(request.POST), action)


@require_POST
def survey(request, token: str):
    rr = _return_by_token(token)

    def action(data):
        services.return_record_survey(return_request=rr, score=data["score"], comment=data["comment"])
        return "Thank you for rating our service."

    return _act(request, rr, "survey", SurveyForm(request.POST), action)


def document(request, token: str, kind: str):
    return document_response(_return_by_token(token), kind)


def photo(request, token: str, photo_id: int):
    """A photo of this return only, as an image we encoded ourselves, never as something a browser runs."""
    rr = _return_by_token(token)
    picture = ReturnPhoto.objects.filter(pk=photo_id, item__return_request=rr).first()
    if picture is None:
        raise Http404("No such photo on this return.")
    return photo_response(picture)
