"""The customer's pages. A return's unguessable link (its customer token) opens that return only."""

from django.http import Http404
from django.shortcuts import render

from returns_desk.documents.models import Document
from returns_desk.documents.services import available_kinds
from returns_desk.documents.views import document_response
from returns_desk.returns.models import ReturnRequest

from .copy import STATUS_WORDS


def _return_by_token(token: str) -> ReturnRequest:
    rr = ReturnRequest.objects.select_related("order").filter(customer_token=token).first()
    if rr is None:
        raise Http404("No return matches this link.")
    return rr


def status(request, token: str):
    rr = _return_by_token(token)
    headline, next_step = STATUS_WORDS[rr.status]
    events = rr.events.filter(visible_to_customer=True).select_related("actor_user").order_by("created_at", "id")
    items = rr.items.select_related("order_line", "reason")
    documents = [(kind, Document.Kind(kind).label) for kind in available_kinds(rr)]
    return render(
        request,
        "customer/status.html",
        {
            "rr": rr,
            "headline": headline,
            "next_step": next_step,
            "events": events,
            "items": items,
            "documents": documents,
        },
    )


def document(request, token: str, kind: str):
    rr = _return_by_token(token)
    return document_response(rr, kind)
