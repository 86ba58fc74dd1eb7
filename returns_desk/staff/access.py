"""Who may open desk pages: anonymous visitors log in; logged-in people off the desk get a 403; a session that
owes its second factor (`two_factor`) gives it first.

A form posted after the session ended (logged out in another tab, expired) must not send the person to a
POST-only URL after logging in (a 405), nor lose what they typed: `keeps_unsent` keeps the typed fields in the
anonymous session — `login()` keeps session data — and `unsent_post` gives them back on the form's page.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from . import roles, two_factor

UNSENT_SESSION_KEY = "unsent_post"
UNSENT_MAX_CHARS = 20_000  # a field longer than any form accepts is cut, not stored whole


def _whole_page(request, response: HttpResponse) -> HttpResponse:
    """An htmx request is told to load the redirect's target as a whole page, not swap it into a part."""
    if request.headers.get("HX-Request"):
        answer = HttpResponse(status=204)
        answer["HX-Redirect"] = response["Location"]
        return answer
    return response


def _log_in_then(request, target: str) -> HttpResponse:
    """To the login page, then `target`."""
    return _whole_page(request, redirect_to_login(target))


def _second_factor_then(request, step: two_factor.Step) -> HttpResponse:
    """To the page that asks for the second factor (or sets one up), then back to this page."""
    whole_page = request.method in ("GET", "HEAD") and not request.headers.get("HX-Request")
    target = request.get_full_path() if whole_page else _page_posted_from(request)
    return _whole_page(request, redirect(two_factor.step_url(step, then=target)))


def _page_posted_from(request) -> str:
    """Where a form was posted from (its page), so that logging in leads there rather than to a POST-only URL."""
    for page in (request.headers.get("HX-Current-URL", ""), request.headers.get("Referer", "")):
        if page and url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
            return page
    return resolve_url("desk:index")


def _requires(check, refusal: str):
    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.method in ("GET", "HEAD"):
                    return redirect_to_login(request.get_full_path())
                return _log_in_then(request, _page_posted_from(request))
            if not check(request.user):
                raise PermissionDenied(refusal)
            owed = two_factor.step_for(request)
            if owed:
                return _second_factor_then(request, owed)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


desk_staff = _requires(roles.is_agent, "This page is for the returns desk (Agents and Managers).")
managers_only = _requires(roles.is_manager, "This page is for managers.")


def keeps_unsent(*fields: str, back: Callable[..., str]):
    """Put outside the access check of a form's POST view: a post that arrives without a session keeps `fields`
    in the (anonymous) session and sends the person to log in, then to `back(*args, **kwargs)`, the form's page.
    """

    def decorator(view):
        @wraps(view)
        def keeping(request, *args, **kwargs):
            if request.method == "POST" and not request.user.is_authenticated:
                page = back(*args, **kwargs)
                typed = {name: request.POST.get(name, "")[:UNSENT_MAX_CHARS] for name in fields}
                if any(value.strip() for value in typed.values()):
                    request.session[UNSENT_SESSION_KEY] = {"page": page, "fields": typed}
                return _log_in_then(request, page)
            return view(request, *args, **kwargs)

        return keeping

    return decorator


def unsent_post(request) -> dict[str, str] | None:
    """The fields kept by `keeps_unsent` for this page (given once), or None."""
    kept = request.session.get(UNSENT_SESSION_KEY)
    if not kept or kept.get("page") != request.path:
        return None
    del request.session[UNSENT_SESSION_KEY]
    return dict(kept.get("fields") or {})
