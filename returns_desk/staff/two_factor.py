"""Who owes a second factor at sign-in, and whether this session has given it.

Staff sign in with their password, then, when they owe one, with a code from their authenticator app (TOTP) or
one of their single-use recovery codes (django-otp's static device). Managers owe one whenever
STAFF_2FA_REQUIRED is on (production's default); anyone who set up an authenticator app owes one on every
sign-in (for agents it is their choice). A session that owes a second factor and has not given it reaches only
the verify and set-up pages: desk pages send it there (`staff.access`), the admin too (`staff.admin_site`), and
every money action refuses with a link (`check_for_money`).

Whether the person has an authenticator is remembered in the session when they sign in, so that desk pages ask
the database nothing more; the admin and money actions ask again, in case one was set up in another session.
"""

from enum import StrEnum
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.core.errors import ActionForbidden

from . import roles

HAS_DEVICE_SESSION_KEY = "staff_2fa_has_device"


class Step(StrEnum):
    """What a session still has to do before the desk opens: nothing, give a code, or set up an app first."""

    NONE = ""
    VERIFY = "verify"
    ENROL = "enrol"


class SecondFactorNeeded(ActionForbidden):
    """A money action asked of a session that owes its second factor; nothing was written."""


def has_authenticator(user) -> bool:
    """A confirmed authenticator app (TOTP). Recovery codes alone do not count: they back an app up."""
    return bool(user.pk) and TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_for(user) -> bool:
    """Whether this person must have a second factor at all (set one up before working): managers, when the
    setting says so."""
    return bool(settings.STAFF_2FA_REQUIRED) and roles.is_manager(user)


def is_verified(user) -> bool:
    """This session gave a code (django-otp's middleware marks it); False where that middleware did not run."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def remember_authenticator(request, user) -> None:
    """At sign-in (and after setting up or turning off): whether this person has an authenticator app."""
    has = has_authenticator(user)
    if request.session.get(HAS_DEVICE_SESSION_KEY) is not has:  # unchanged: the session is not written again
        request.session[HAS_DEVICE_SESSION_KEY] = has


def step_for(request, *, fresh: bool = False) -> Step:
    """What this signed-in session still owes. `fresh` asks the database whether the person has an app now
    (the admin and money actions); otherwise the answer remembered at sign-in is used."""
    user = request.user
    if not user.is_authenticated or is_verified(user):
        return Step.NONE
    if fresh or HAS_DEVICE_SESSION_KEY not in request.session:
        remember_authenticator(request, user)
    if request.session[HAS_DEVICE_SESSION_KEY]:
        return Step.VERIFY
    return Step.ENROL if required_for(user) else Step.NONE


def step_url(step: Step, *, then: str) -> str:
    """The page that takes the session through `step`, then back to `then`."""
    return f"{reverse(f'account:{step.value}')}?{urlencode({'next': then})}"


def check_for_money(user, *, back: str) -> None:
    """Refuse a money action (before anything is written) from a session that owes its second factor.

    Asks the database whether the person has an authenticator app, whatever the session remembers.
    """
    if is_verified(user):
        return
    if has_authenticator(user):
        link = step_url(Step.VERIFY, then=back)
        raise SecondFactorNeeded(
            format_html(
                'Money moves only after your second factor: <a href="{}">enter the code from your '
                "authenticator app</a>, then send this again. Nothing was changed.",
                link,
            )
        )
    if required_for(user):
        link = step_url(Step.ENROL, then=back)
        raise SecondFactorNeeded(
            format_html(
                'Managers move money only after signing in with a second factor: <a href="{}">set up your '
                "authenticator app</a>, then send this again. Nothing was changed.",
                link,
            )
        )


def remember_on_sign_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver (connected in `StaffConfig.ready`)."""
    if request is not None and hasattr(request, "session"):
        remember_authenticator(request, user)
