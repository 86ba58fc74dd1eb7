"""A person's authenticator app in tests: set one up through the service, and read its current code as the
phone would (RFC 6238, computed here from the app's key, not asked of the code under test)."""

import hashlib
import hmac
import struct
import time

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.staff.services import second_factor_provision


def give_app(user, *, recovery_codes: int = 3) -> TOTPDevice:
    return second_factor_provision(user=user, recovery_codes=recovery_codes)


def phone_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What an authenticator app shows now for `device` (or `steps_ahead` periods later)."""
    device.refresh_from_db()
    return code_for_period(device, int(time.time() - device.t0) // device.step + steps_ahead)


def code_for_period(device: TOTPDevice, counter: int) -> str:
    digest = hmac.new(device.bin_key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**device.digits:0{device.digits}d}"


def recovery_codes_of(user) -> list[str]:
    return list(StaticToken.objects.filter(device__user=user).order_by("pk").values_list("token", flat=True))


def unused_code(device: TOTPDevice) -> str:
    """The phone's code, or the next period's when this period's was used already (the server accepts one
    period either side, each code once): lets a test sign in twice within 30 seconds."""
    device.refresh_from_db()
    now = int(time.time() - device.t0) // device.step + device.drift
    return phone_code(device, steps_ahead=1 if now <= device.last_t else 0)
