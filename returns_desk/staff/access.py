"""Who may open desk pages: anonymous visitors log in; logged-in people off the desk get a 403."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from . import roles


def _requires(check, refusal: str):
    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


desk_staff = _requires(roles.is_agent, "This page is for the returns desk (Agents and Managers).")
managers_only = _requires(roles.is_manager, "This page is for managers.")
