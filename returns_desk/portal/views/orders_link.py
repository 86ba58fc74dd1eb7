"""The second way in: "Email me a link to my orders", and the orders page that link opens.

Asking answers the same whether or not we know the address, and is limited per address and per client
against mail-bombing, never by anyone's failed order lookups. The page lists the address's orders with their
returns; "Start a return" beside an order opens the usual draft and goes to the items step.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from returns_desk.notifications.links import (
    LinkExpired,
    LinkInvalid,
    link_order,
    link_orders,
    orders_link_address,
    orders_link_request,
    valid_hours,
)
from returns_desk.portal import draft as drafts
from returns_desk.portal.forms import OrdersLinkForm, StartFromLinkForm
from returns_desk.portal.throttle import client_address, link_request_begin
from returns_desk.portal.views.order_lookup import minutes, render_start

TOO_MANY = {
    "client": "Too many link requests from your connection. Please wait {minutes} and ask again.",
    "email": (
        "A link for that address was asked for several times recently. Please look for the latest one in "
        "your inbox (and spam folder), or ask again in {minutes}."
    ),
}
EXPIRED = "This link has expired: links to your orders work for {hours}. Ask for a new one below."
INVALID = "This link doesn't work: it may have been cut short when it was copied. Ask for a new one below."


@require_http_methods(["GET", "POST"])
def request_link(request):
    """Ask for the link. Sent or not, the answer is the same (a redirect to "check your inbox")."""
    if request.method == "GET":
        return redirect(reverse("portal:start") + "#orders-link")
    link_form = OrdersLinkForm(request.POST, prefix="link")
    if not link_form.is_valid():
        return render_start(request, link_form=link_form, status=400)
    email = link_form.cleaned_data["email"]
    slowed = link_request_begin(client=client_address(request), email=email)
    if slowed is not None:
        link_form.add_error(None, TOO_MANY[slowed.reason].format(minutes=minutes(slowed)))
        return render_start(request, link_form=link_form, status=429, slowed=slowed)
    orders_link_request(email=email)
    return redirect("portal:orders_link_sent")


@require_GET
def link_sent(request):
    return render(request, "portal/orders_link_sent.html", {"link_hours": valid_hours()})


def _address_or_problem(request, token: str):
    """(address, None) for a good link; (None, the page that explains) for an expired or altered one."""
    try:
        return orders_link_address(token), None
    except LinkExpired:
        hours = valid_hours()
        problem, status = EXPIRED.format(hours=f"{hours} hour{'s' if hours != 1 else ''}"), 410
    except LinkInvalid:
        problem, status = INVALID, 400
    context = {"problem": problem, "link_form": OrdersLinkForm(prefix="link")}
    return None, render(request, "portal/orders_link_invalid.html", context, status=status)


@never_cache
@require_GET
def orders(request, token: str):
    address, problem = _address_or_problem(request, token)
    if problem is not None:
        return problem
    limit = settings.PORTAL_ORDERS_LINK_MAX_ORDERS
    shown = link_orders(address, limit=limit + 1)
    context = {"token": token, "address": address, "orders": shown[:limit], "more": len(shown) > limit, "limit": limit}
    return render(request, "portal/orders.html", context)


@require_POST
def start_return(request, token: str):
    """The "Start a return" button beside an order: a fresh draft for that order, then the items step."""
    address, problem = _address_or_problem(request, token)
    if problem is not None:
        return problem
    form = StartFromLinkForm(request.POST)
    order = link_order(address, form.cleaned_data["order"]) if form.is_valid() else None
    if order is None:
        messages.error(request, "That order is not one of yours on this page. Choose one from the list.")
        return redirect("portal:orders", token=token)
    drafts.start(request, order.pk)
    return redirect("portal:items")
