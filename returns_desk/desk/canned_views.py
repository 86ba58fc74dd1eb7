"""A canned response previewed against a real ticket: filled with that return's values, and the email the
customer would get with it, before the VA inserts it in the reply."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from returns_desk.returns.models import ReturnRequest
from returns_desk.staff.access import desk_staff

from .canned import preview
from .models import CannedResponse, unknown_placeholders


@desk_staff
@require_GET
def canned_preview(request, pk: int):
    """In the composer (htmx), or as a page of its own without JavaScript; "Insert" fills the reply with it."""
    chosen = request.GET.get("canned", "")
    if not chosen.isdigit():
        raise Http404("Choose a canned response.")
    rr = get_object_or_404(ReturnRequest.objects.select_related("order"), pk=pk)
    canned = get_object_or_404(CannedResponse, pk=int(chosen), is_active=True)
    context = {
        "rr": rr,
        "canned": canned,
        "preview": preview(body=canned.body, action=canned.action, rr=rr),
        "unknown": sorted(unknown_placeholders(canned.body)),
    }
    template = "desk/includes/canned_preview.html" if request.htmx else "desk/canned_preview.html"
    return render(request, template, context)
