"""Cross-cutting endpoints."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import HttpResponseForbidden, HttpResponseNotFound, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django_q.brokers import get_broker
from django_q.conf import Conf


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", and we say which
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    try:
        broker = get_broker()
        if Conf.ORM:
            # The ORM broker's ping() is always True; ask its queue table instead.
            from django_q.models import OrmQ

            OrmQ.objects.using(Conf.ORM).filter(key=broker.list_key).exists()
        elif not broker.ping():
            return "broker did not answer ping"
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
    return None


def _may_see_details(request) -> bool:
    """The error behind a "down" names hosts and ports: only for a caller holding HEALTHZ_TOKEN."""
    expected = settings.HEALTHZ_TOKEN
    given = request.headers.get("X-Healthz-Token") or request.GET.get("token") or ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@never_cache
def healthz(request):
    """200 when the database and the task broker answer; 503 naming the part that does not.

    Anyone learns which part is down; what went wrong is told only to a caller with the token.
    """
    checks = {"database": _check_database(), "broker": _check_broker()}
    details = _may_see_details(request)
    body = {
        name: "up" if error is None else (f"down: {error}" if details else "down") for name, error in checks.items()
    }
    status = 200 if all(error is None for error in checks.values()) else 503
    body["status"] = "ok" if status == 200 else "failing"
    return JsonResponse(body, status=status)


# --- error pages: the customer's in the shop's style, everything else in the desk's ---------------


def _for_customer(request) -> bool:
    return request.path.startswith("/returns/")


def page_not_found(request, exception):
    template = "portal/404.html" if _for_customer(request) else "404.html"
    return HttpResponseNotFound(loader.render_to_string(template, {"shop_name": settings.SHOP_NAME}, request))


def server_error(request):
    # No request context: the database (and so sessions and context processors) may be what failed.
    template = "portal/500.html" if _for_customer(request) else "500.html"
    return HttpResponseServerError(loader.render_to_string(template, {"shop_name": settings.SHOP_NAME}))


def csrf_failure(request, reason=""):
    if _for_customer(request):
        body = loader.render_to_string("portal/403_csrf.html", {"shop_name": settings.SHOP_NAME}, request)
        return HttpResponseForbidden(body)
    return django_csrf_failure(request, reason=reason)


def favicon(request):
    """The shop's icon for pages that name none (the admin's); looked up per request, so the static files'
    manifest need not exist when the URLs load."""
    return redirect(static("favicon.svg"), permanent=True)
