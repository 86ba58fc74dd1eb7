"""Step 1 of a new return: find the order by its number and the order's email, then open a draft for it."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from returns_desk.orders.selectors import order_for_customer
from returns_desk.portal import draft as drafts
from returns_desk.portal.forms import LookupForm
from returns_desk.portal.throttle import lookup_allowed

NOT_FOUND = (
    "We couldn't find an order with that number and email address. "
    "Please check both against your order confirmation email."
)
TOO_MANY = "Too many attempts for this order or email address. Please wait 15 minutes and try again."


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
    return render(request, "portal/start.html", {"form": form, "step": 1}, status=status)
