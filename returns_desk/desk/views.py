"""The VA workspace. Views validate, call a selector or service, and render."""

from django.contrib.auth.decorators import login_required, user_passes_test
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from returns_desk.core.actors import Actor
from returns_desk.returns import permissions as can
from returns_desk.returns.actions import ACTIONS
from returns_desk.returns.models import ReturnRequest
from returns_desk.returns.selectors import available_actions, return_for_ticket, returns_for_list

desk_staff = user_passes_test(can.is_agent)


@login_required
@desk_staff
def index(request):
    page = Paginator(returns_for_list(), 50).get_page(request.GET.get("page"))
    return render(request, "desk/index.html", {"page": page})


@login_required
@desk_staff
def ticket(request, pk: int):
    try:
        rr = return_for_ticket(pk)
    except ReturnRequest.DoesNotExist:
        raise Http404("No return with that number.") from None
    actions = [ACTIONS[name].label for name in available_actions(rr, Actor.staff(request.user))]
    return render(request, "desk/ticket.html", {"rr": rr, "actions": actions})
