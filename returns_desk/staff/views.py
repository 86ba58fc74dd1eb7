"""Signing in: the password (django-axes pauses a run of wrong ones), then the second factor when one is owed
(`two_factor`); setting up an authenticator app, and the page where a person sees and changes theirs."""

from base64 import b32encode
from urllib.parse import urlencode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from returns_desk.core.errors import ServiceError

from . import roles, services, two_factor
from .access import desk_staff
from .forms import CodeForm, EnrolForm

NEW_CODES_SESSION_KEY = "staff_new_recovery_codes"


class StaffLoginView(LoginView):
    """The password first; then, for a person who owes one, the second factor before the page they asked for."""

    template_name = "desk/login.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        step = two_factor.step_for(self.request)
        if step:
            return redirect(two_factor.step_url(step, then=self.get_success_url()))
        return response


def _then(request) -> str:
    """Where to go once this step is done: the `next` of the request when it is one of ours, else the desk."""
    then = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if then and url_has_allowed_host_and_scheme(then, allowed_hosts={request.get_host()}):
        return then
    return resolve_url("desk:index")


def _verified(request, device) -> None:
    """The session gave its second factor: a new session key (the session is worth more now), the device on it."""
    request.session.cycle_key()
    django_otp.login(request, device)
    two_factor.remember_authenticator(request, request.user)


def _recovery_codes_then(then: str) -> str:
    return f"{reverse('account:recovery-codes')}?{urlencode({REDIRECT_FIELD_NAME: then})}"


def _recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@require_http_methods(["GET", "POST"])
def verify(request):
    """After the password: the code from the app, or a recovery code (each works once)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    then = _then(request)
    step = two_factor.step_for(request, fresh=True)
    if step != two_factor.Step.VERIFY:
        return redirect(two_factor.step_url(step, then=then) if step else then)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            device = services.second_factor_verify(user=request.user, code=form.cleaned_data["code"])
        except ServiceError as error:
            form.add_error("code", str(error))
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = _recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"Recovery code used; it will not work again. You have {left} left: "
                    "make new ones on your sign-in page (under your name) when you run low.",
                )
            return redirect(then)
    status = 400 if form.errors else 200
    return render(request, "desk/account/verify.html", {"form": form, "next": then}, status=status)


def _qr_svg(url: str) -> SafeString:
    """The otpauth:// address as a QR code, drawn here as SVG (no outside service ever sees the secret)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=2, dark="#000", light="#fff", title="QR code for your authenticator app")
    return mark_safe(svg)  # noqa: S308 -- segno's own markup of our own address, nothing typed by anyone


@require_http_methods(["GET", "POST"])
def enrol(request):
    """Set up an authenticator app: scan the QR code (or type the secret), then type the code it shows."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.is_agent(request.user):
        raise PermissionDenied("Two-factor sign-in is for the returns desk's staff.")
    then = _then(request)
    if two_factor.has_authenticator(request.user) and not two_factor.is_verified(request.user):
        # Replacing an app takes a code from the old one (or a recovery code): a password alone is not enough.
        return redirect(two_factor.step_url(two_factor.Step.VERIFY, then=request.get_full_path()))
    form = EnrolForm(request.POST or None)
    if form.is_valid():
        try:
            device, codes = services.totp_enrolment_confirm(user=request.user, code=form.cleaned_data["code"])
        except ServiceError as error:
            form.add_error("code", str(error))
        else:
            _verified(request, device)
            request.session[NEW_CODES_SESSION_KEY] = codes
            return redirect(_recovery_codes_then(then))
    device = services.totp_enrolment_start(user=request.user)
    secret = b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "next": then,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": two_factor.required_for(request.user),
    }
    return render(request, "desk/account/enrol.html", context, status=400 if form.errors else 200)


@desk_staff
def recovery_codes(request):
    """The recovery codes just made, shown once."""
    codes = request.session.pop(NEW_CODES_SESSION_KEY, None)
    if not codes:
        messages.info(request, "Recovery codes are shown once, when they are made. Make new ones here if needed.")
        return redirect("account:security")
    return render(request, "desk/account/recovery_codes.html", {"codes": codes, "next": _then(request)})


@desk_staff
def security(request):
    """How this person signs in: their app, their recovery codes left, and what they may change."""
    user = request.user
    context = {
        "has_app": two_factor.has_authenticator(user),
        "codes_left": _recovery_codes_left(user),
        "required": two_factor.required_for(user),
    }
    return render(request, "desk/account/security.html", context)


@desk_staff
@require_POST
def new_recovery_codes(request):
    if not two_factor.has_authenticator(request.user):
        messages.error(request, "Set up an authenticator app first: recovery codes back it up.")
        return redirect("account:security")
    request.session[NEW_CODES_SESSION_KEY] = services.recovery_codes_replace(user=request.user)
    return redirect(_recovery_codes_then(reverse("account:security")))


@desk_staff
@require_POST
def turn_off(request):
    try:
        services.second_factor_turn_off(user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("account:security")
    two_factor.remember_authenticator(request, request.user)
    messages.success(request, "Two-factor sign-in is off: your password alone signs you in.")
    return redirect("account:security")
