"""Step 1 of a new return: find the order by its number and the order's email, then open a draft for it.

The same page offers the second way in, "Email me a link to my orders" (see `orders_link`), which lookup
limits never block.
"""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from returns_desk.notifications.links import valid_hours
from returns_desk.orders.selectors import order_for_customer
from returns_desk.portal import draft as drafts
from returns_desk.portal.forms import LookupForm, OrdersLinkForm
from returns_desk.portal.throttle import Slowed, client_address, lookup_begin

NOT_FOUND = (
    "We couldn't find an order with that number and email address. "
    "Please check both against your order confirmation email."
)
USE_THE_LINK = "or use “Email me a link to my orders” below: it needs only your email address."
TOO_MANY = {
    "client": "Too many attempts from your connection. Please wait {minutes} and try again, " + USE_THE_LINK,
    "order": (
        "Too many attempts for this order number from different places, so we have paused looking it up for "
        "{minutes}. Please use “Email me a link to my orders” below: we send it only to the address you ordered with."
    ),
    "email": (
        "Too many attempts for this email address from different places, so we have paused looking it up for "
        "{minutes}. Please use “Email me a link to my orders” below: we send it only to that address."
    ),
}


def minutes(slowed: Slowed) -> str:
    n = slowed.wait_minutes
    return f"{n} minute{'s' if n != 1 else ''}"


def render_start(request, *, form=None, link_form=None, status=200, slowed: Slowed | None = None):
    """The start page with both ways in; a refusal (429) says why and tells the browser when to come back."""
    context = {
        "form": form or LookupForm(),
        "link_form": link_form or OrdersLinkForm(prefix="link"),
        "step": 1,
        "link_hours": valid_hours(),
    }
    response = render(request, "portal/start.html", context, status=status)
    if slowed is not None:
        response["Retry-After"] = str(slowed.wait_seconds)
    return response


@require_http_methods(["GET", "POST"])
def start(request):
    form = LookupForm(request.POST or None)
    if request.method != "POST":
        return render_start(request, form=form)
    if not form.is_valid():
        return render_start(request, form=form, status=400)
    number, email = form.cleaned_data["order_number"], form.cleaned_data["email"]
    attempt = lookup_begin(client=client_address(request), order_number=number, email=email)
    if isinstance(attempt, Slowed):
        form.add_error(None, TOO_MANY[attempt.reason].format(minutes=minutes(attempt)))
        return render_start(request, form=form, status=429, slowed=attempt)
    order = order_for_customer(number=number, email=email)
    if order is None:
        form.add_error(None, NOT_FOUND)
        return render_start(request, form=form, status=400)
    attempt.succeeded()
    drafts.start(request, order.pk)
    return redirect("portal:items")
