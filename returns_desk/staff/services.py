"""Writes about staff members' own desk settings and their second factor at sign-in."""

from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.core.errors import ServiceError

from . import two_factor
from .models import StaffProfile


def staff_set_email_on_customer_reply(*, user, enabled: bool) -> StaffProfile:
    """A staff member chooses whether a customer's message on a ticket they answer also reaches them by email.
    (Their refund limit stays a manager's decision, in admin.)"""
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    if profile.email_on_customer_reply != enabled:
        profile.email_on_customer_reply = enabled
        profile.save(update_fields=["email_on_customer_reply"])
    return profile


# A second factor at sign-in (see `two_factor`): an authenticator app (TOTP) backed by single-use recovery codes.

RECOVERY_CODE_COUNT = 10
NEW_APP_NAME = "Authenticator app (being set up)"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def _normalised(code: str) -> str:
    """What the person typed, as the devices store it: no spaces or dashes, lower case."""
    return "".join(code.split()).replace("-", "").lower()


def totp_enrolment_start(*, user) -> TOTPDevice:
    """The app being set up: the same secret each time the page is shown, until it is confirmed with a code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=NEW_APP_NAME, confirmed=False)
    return device


def totp_enrolment_confirm(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """A code from the app being set up proves it works: it replaces any older app, and new recovery codes
    replace any older ones. Returns the app and the recovery codes (shown once)."""
    # A wrong code is counted (django-otp slows the next tries down), so the refusal is raised after the commit.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise ServiceError("Open the set-up page again: there is no app being set up.")
        refusal = _throttled(device)
        if refusal is None and device.verify_token(_normalised(code)):
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed, device.name = True, APP_NAME
            device.save(update_fields=["confirmed", "name"])
            return device, recovery_codes_replace(user=user)
    raise ServiceError(
        refusal or "That code does not match. Check that the app shows Returns Desk, and type its current code."
    )


def _recovery_device(user) -> StaticDevice:
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)


@transaction.atomic
def recovery_codes_replace(*, user, count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """New single-use recovery codes; the old ones stop working."""
    device = _recovery_device(user)
    StaticToken.objects.filter(device__user=user).delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _throttled(device) -> str | None:
    allowed, about = device.verify_is_allowed()
    if allowed or not about:
        return None
    until = about.get("locked_until")
    if until is None:
        return "Too many wrong codes. Try again in a minute."
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1)
    return f"Too many wrong codes. Try again in {seconds} seconds."


def second_factor_verify(*, user, code: str) -> Device:
    """The device that accepts `code`: six digits from the app, else one of the recovery codes (used up)."""
    typed = _normalised(code)
    # A wrong code is counted (django-otp slows the next tries down), so the refusal is raised after the commit.
    with transaction.atomic():
        if len(typed) == 6 and typed.isdigit():
            devices: list[Device] = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True))
        else:
            devices = list(StaticDevice.objects.select_for_update().filter(user=user, confirmed=True))
        refusal = "That code does not match. Type the current 6-digit code, or an unused recovery code."
        if not devices:
            refusal = "That is not a code you can use: type the 6 digits from your app, or a recovery code."
        for device in devices:
            throttled = _throttled(device)
            if throttled:
                refusal = throttled
            elif device.verify_token(typed):
                return device
    raise ServiceError(refusal)


@transaction.atomic
def second_factor_provision(*, user, recovery_codes: int) -> TOTPDevice:
    """A confirmed app for a person without one, and at least `recovery_codes` unused recovery codes (the demo's
    manager: `make demo` prints a code beside the logins)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=True)
    static = _recovery_device(user)
    missing = recovery_codes - static.token_set.count()
    StaticToken.objects.bulk_create(
        StaticToken(device=static, token=StaticToken.random_token()) for _ in range(missing)
    )
    return device


@transaction.atomic
def second_factor_turn_off(*, user) -> None:
    """Remove the app and the recovery codes: for people who chose a second factor, not those who must have one."""
    if two_factor.required_for(user):
        raise ServiceError("Managers must sign in with a second factor: set up a new app instead.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
