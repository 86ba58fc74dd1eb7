"""What the customer does from a return's status page: say it is shipped, write to us, add photos, cancel, rate us.

Each action is a POST back to the status page: on success a message and the page again; on a refusal the page
with what was typed, the reason, and the action's panel open.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from returns_desk.core.actors import Actor
from returns_desk.core.errors import ServiceError
from returns_desk.portal.forms import AddPhotosForm, CancelForm, MessageForm, ShippedForm, SurveyForm
from returns_desk.portal.throttle import client_address
from returns_desk.returns import photo_limits
from returns_desk.returns.services import (
    return_add_photos,
    return_cancel,
    return_customer_reply,
    return_mark_in_transit,
    return_record_survey,
)

from .return_status import render_status_page, return_by_token


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
    return render_status_page(request, rr, forms={form_name: form}, status=400, open_panel=form_name)


@require_POST
def shipped(request, token: str):
    rr = return_by_token(token)

    def action(data):
        return_mark_in_transit(
            return_request=rr, by=Actor.customer(), carrier=data["carrier"], tracking_number=data["tracking_number"]
        )
        return "Thank you. We'll let you know when your parcel arrives."

    return _act(request, rr, "shipped", ShippedForm(request.POST), action)


@require_POST
def message(request, token: str):
    rr = return_by_token(token)

    def action(data):
        return_customer_reply(return_request=rr, body=data["body"])
        return "Your message was sent to our returns team."

    return _act(request, rr, "message", MessageForm(request.POST), action)


@require_POST
def photos(request, token: str):
    rr = return_by_token(token)
    items = [(item.pk, item.order_line.title) for item in rr.items.select_related("order_line")]
    form = AddPhotosForm(request.POST, request.FILES, items=items)

    def action(data):
        with photo_limits.counted(client=client_address(request), count=len(data["photos"])):
            added = return_add_photos(
                return_request=rr, item_id=data["item"], uploads=data["photos"], by=Actor.customer()
            )
        return f"{len(added)} photo{'s' if len(added) != 1 else ''} added."

    return _act(request, rr, "photos", form, action)


@require_POST
def cancel(request, token: str):
    rr = return_by_token(token)

    def action(data):
        return_cancel(return_request=rr, by=Actor.customer(), reason=data["reason"])
        return "Your return is cancelled. Nothing more will happen with it."

    return _act(request, rr, "cancel", CancelForm(request.POST), action)


@require_POST
def survey(request, token: str):
    rr = return_by_token(token)

    def action(data):
        return_record_survey(return_request=rr, score=data["score"], comment=data["comment"])
        return "Thank you for rating our service."

    return _act(request, rr, "survey", SurveyForm(request.POST), action)
