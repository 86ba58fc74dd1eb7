"""A return's own page, opened by its unguessable link: where it is, what happens next, its documents and photos."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from returns_desk.documents.models import Document
from returns_desk.documents.responses import document_response
from returns_desk.documents.services import available_kinds
from returns_desk.portal import selectors
from returns_desk.portal.copy import LATE, STATUS_WORDS
from returns_desk.portal.forms import AddPhotosForm, CancelForm, MessageForm, ShippedForm, SurveyForm
from returns_desk.returns.models import ReturnPhoto
from returns_desk.returns.responses import photo_response
from returns_desk.returns.services import SURVEY_OPEN_STATUSES


def return_by_token(token: str):
    """The return this link opens; a 404 for any other link."""
    rr = selectors.return_for_customer(token)
    if rr is None:
        raise Http404("No return matches this link.")
    return rr


def _survey(rr):
    try:
        return rr.survey
    except rr.__class__.survey.RelatedObjectDoesNotExist:
        return None


def render_status_page(request, rr, *, forms=None, status=200, open_panel=""):
    """The status page; `forms` (by panel name) shows a form again with what was typed and its errors.

    Its first screen answers what happens next, by when, and how much. Times are the shop's, named."""
    items = selectors.status_items(rr)
    money = selectors.customer_money(rr, items)
    headline, next_step = STATUS_WORDS[rr.status]
    if rr.returnless and rr.status in ("requested", "approved"):
        next_step = "No need to send anything back: you can keep the item. We refund you once the return is approved."
    # A refund on its way carries its own date (when the customer should see the money): one date, not two.
    refund_dated = rr.status == "refund_pending" and money.refund is not None
    deadline = None if refund_dated else selectors.promise(selectors.next_deadline(rr))
    forms = forms or {}
    item_choices = [(view.item.pk, view.item.order_line.title) for view in items]
    context = {
        "rr": rr,
        "headline": headline,
        "next_step": next_step,
        "deadline": deadline,
        "late": LATE,
        "money": money,
        "time_zone": settings.TIME_ZONE,
        "events": selectors.customer_timeline(rr),
        "items": items,
        "documents": [(kind, Document.Kind(kind).label) for kind in available_kinds(rr)],
        "can_cancel": selectors.customer_can_cancel(rr),
        "can_ship": selectors.customer_can_ship(rr),
        "can_add_photos": rr.is_open,
        "survey": _survey(rr),
        "survey_open": rr.status in SURVEY_OPEN_STATUSES,
        "shipped_form": forms.get("shipped") or ShippedForm(),
        "message_form": forms.get("message") or MessageForm(),
        "photos_form": forms.get("photos") or AddPhotosForm(items=item_choices),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "survey_form": forms.get("survey") or SurveyForm(),
        "just_created": request.session.pop("portal_just_created", None) == rr.customer_token,
        "status_link": request.build_absolute_uri(reverse("portal:status", args=[rr.customer_token])),
        "open_panel": open_panel,
        # A refused form is far down a phone's page: its errors are summarised at the top, linked to the fields.
        "refused_forms": [form for form in forms.values() if form.errors],
    }
    with timezone.override(settings.TIME_ZONE):  # the shop's zone, whatever a middleware or earlier code set
        return render(request, "portal/status.html", context, status=status)


def status(request, token: str):
    return render_status_page(request, return_by_token(token))


def document(request, token: str, kind: str):
    return document_response(return_by_token(token), kind)


def photo(request, token: str, photo_id: int):
    """A photo of this return only, as an image we encoded ourselves, never as something a browser runs."""
    rr = return_by_token(token)
    picture = ReturnPhoto.objects.filter(pk=photo_id, item__return_request=rr).first()
    if picture is None:
        raise Http404("No such photo on this return.")
    return photo_response(picture)
