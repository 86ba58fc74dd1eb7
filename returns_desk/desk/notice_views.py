"""The bell: its count (polled by the header), the list of notices, and marking them read."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from returns_desk.staff.access import desk_staff
from returns_desk.staff.services import staff_set_email_on_customer_reply

from .models import DeskNotification
from .notices import notices_for, notices_mark_read, unread_count


@desk_staff
@require_GET
def bell(request):
    """The header's bell with its unread count (htmx swaps it in every little while)."""
    return render(request, "desk/includes/bell.html", {"unread_notices": unread_count(request.user)})


@desk_staff
@require_http_methods(["GET", "POST"])
def notices(request):
    if request.method == "POST":
        changed = notices_mark_read(user=request.user)
        messages.success(request, f"Marked {changed} notice{'s' if changed != 1 else ''} read.")
        return redirect("desk:notices")
    profile = getattr(request.user, "staff_profile", None)
    emailed = bool(profile and profile.email_on_customer_reply)
    return render(request, "desk/notices.html", {"listing": notices_for(request.user), "emailed": emailed})


@desk_staff
@require_POST
def notice_email_choice(request):
    """Whether a customer's message also reaches this staff member by email: their own choice."""
    enabled = request.POST.get("email_on_customer_reply") == "on"
    staff_set_email_on_customer_reply(user=request.user, enabled=enabled)
    if enabled and not request.user.email:
        messages.warning(request, "Saved, but your account has no email address: ask a manager to add one.")
    else:
        messages.success(request, "You will get an email too." if enabled else "No more emails: the bell only.")
    return redirect("desk:notices")


@desk_staff
@require_POST
def notice_open(request, pk: int):
    """Open a notice's ticket, marking the notice read."""
    notice = DeskNotification.objects.filter(pk=pk, user=request.user).only("return_request_id").first()
    if notice is None:
        raise Http404("No such notice.")
    notices_mark_read(user=request.user, notice_id=pk)
    return redirect("desk:ticket", pk=notice.return_request_id)
