"""The admin is the managers' tool: a manager who gave their second factor gets in; an agent gets a 403.

Everyone signs in through the desk's login page (lockout, then the second factor); the admin's own login page
only sends people there and back.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from . import roles, two_factor

REFUSAL = "The admin is for managers. Your work is on the desk."


class DeskAdminSite(admin.AdminSite):
    site_header = "Returns Desk admin"
    site_title = "Returns Desk admin"
    index_title = "Managers' admin"

    def _step(self, request) -> two_factor.Step:
        """What the session still owes; asked of the database once a request (every admin page asks often)."""
        if not hasattr(request, "_desk_admin_step"):
            request._desk_admin_step = two_factor.step_for(request, fresh=True)
        return request._desk_admin_step

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and roles.is_manager(user)) and not self._step(request)

    def _refusal(self, request) -> HttpResponse | None:
        """None for a manager with their second factor (and for the anonymous: the admin sends them to log in);
        a 403 for anyone else signed in; the second factor's page for a manager who owes it."""
        user = request.user
        if not user.is_authenticated:
            return None
        if not (user.is_active and user.is_staff and roles.is_manager(user)):
            raise PermissionDenied(REFUSAL)
        step = self._step(request)
        if step:
            return redirect(two_factor.step_url(step, then=request.get_full_path()))
        return None

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        @wraps(guarded)
        def managers_only(request, *args, **kwargs):
            if request.path != reverse("admin:logout", current_app=self.name):
                refusal = self._refusal(request)
                if refusal is not None:
                    return refusal
            return guarded(request, *args, **kwargs)

        return managers_only

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request, extra_context=None):
        """One door for staff: the desk's login page (lockout, then the second factor), then back here."""
        index = reverse("admin:index", current_app=self.name)
        then = request.GET.get(REDIRECT_FIELD_NAME) or index
        if not url_has_allowed_host_and_scheme(then, allowed_hosts={request.get_host()}):
            then = index
        if request.user.is_authenticated:
            return self._refusal(request) or redirect(then)
        return redirect_to_login(then)
