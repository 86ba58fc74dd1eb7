"""What a locked-out sign-in sees (django-axes' AXES_LOCKOUT_CALLABLE): the login page, saying why and for how
long, answered 429; the password is not checked while the pause lasts."""

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def lockout_notice() -> str:
    minutes = settings.STAFF_LOCKOUT_MINUTES
    return (
        f"Too many wrong passwords for this account, or from this address: signing in is paused for "
        f"{minutes} minutes after the last try. A manager can lift the pause sooner in the admin (Access attempts)."
    )


def locked_out(request, original_response=None, credentials=None):
    then = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(then, allowed_hosts={request.get_host()}):
        then = ""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username[:150]})
    context = {"form": form, "next": then, "lockout": lockout_notice()}
    return render(request, "desk/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
