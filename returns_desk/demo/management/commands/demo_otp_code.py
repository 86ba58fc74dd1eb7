"""The demo's second factor, for a newcomer without the manager's phone: the code the manager's authenticator app
would show now, or (`--banner`) the lines `make demo` prints beside the logins: an unused recovery code, this
command, and the app's key."""

import time
from base64 import b32encode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.demo.shop.catalogue import DEMO_RECOVERY_CODES
from returns_desk.staff.services import second_factor_provision


def usable_code(device: TOTPDevice, *, now: float | None = None) -> tuple[str, int] | None:
    """A code the desk accepts now, and for at least how many more seconds; None when both codes it would accept
    now were used already (then the next period brings one). The desk accepts this period's code and the next
    one's (one period either side), each once; the next one's is given when this one ends within 10 seconds."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if now is None else now
    left = device.step - int(totp.time - device.t0) % device.step
    this_period = totp.t()
    for ahead in (0, 1) if left >= 10 else (1,):
        if this_period + ahead > device.last_t:
            totp.time += ahead * device.step
            return f"{totp.token():0{device.digits}d}", left + ahead * device.step
    return None


class Command(BaseCommand):
    help = "Print the current code of a demo user's authenticator app (or, with --banner, make demo's lines)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--banner", action="store_true", help="The lines make demo prints beside the logins.")

    def handle(self, *args, username, banner, **options):
        user = get_user_model().objects.filter(username=username).first()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user else None
        if device is None:
            raise CommandError(f"{username!r} has no authenticator app here: run `manage.py seed_demo --if-empty`.")
        if not banner:
            usable = usable_code(device)
            if usable is None:
                raise CommandError("The codes for now were used already: run this again in 10 seconds.")
            self.stdout.write(f"{usable[0]}   (good for about {usable[1]} more seconds)")
            return
        token = StaticToken.objects.filter(device__user=user, device__confirmed=True).order_by("pk").first()
        if token is None:  # all used since the last seeding
            second_factor_provision(user=user, recovery_codes=DEMO_RECOVERY_CODES)
            token = StaticToken.objects.filter(device__user=user, device__confirmed=True).order_by("pk").first()
        key = b32encode(device.bin_key).decode()
        pad = " " * 16
        self.stdout.write(
            f"{pad}then the second factor: recovery code {token.token if token else '(none)'} "
            "(works once; each make demo prints an unused one),\n"
            f"{pad}or the app's current code: .venv/bin/python manage.py demo_otp_code {username}\n"
            f"{pad}(or add the key {' '.join(key[i : i + 4] for i in range(0, len(key), 4))} to an authenticator app)"
        )
