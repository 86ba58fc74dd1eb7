"""`make demo` prints what a newcomer needs to sign in as the demo's manager: the password, then a recovery code
or the command that gives the app's current code."""

import io
import re

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from returns_desk.demo.management.commands.demo_otp_code import usable_code
from returns_desk.demo.shop import ensure_demo_users
from tests.staff.helpers import code_for_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_staff(reference_data, settings):
    settings.STAFF_2FA_REQUIRED = True
    return ensure_demo_users()


def printed(*args) -> str:
    out = io.StringIO()
    call_command("demo_otp_code", *args, stdout=out)
    return out.getvalue()


def sign_in(client, second_factor: str):
    client.post("/accounts/login/", {"username": "manager", "password": "manager"})
    return client.post("/accounts/two-factor/", {"code": second_factor, "next": "/admin/"})


def test_the_printed_recovery_code_signs_the_demo_manager_in(client, demo_staff):
    banner = printed("manager", "--banner")
    spare = re.search(r"recovery code ([a-z2-7]{8}) ", banner).group(1)
    assert ".venv/bin/python manage.py demo_otp_code manager" in banner
    assert sign_in(client, spare)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.post("/accounts/logout/")
    assert sign_in(client, spare).status_code == 400  # used; the next `make demo` prints another
    assert re.search(r"recovery code ([a-z2-7]{8}) ", printed("manager", "--banner")).group(1) != spare


def test_the_printed_current_code_signs_the_demo_manager_in(client, demo_staff):
    current = re.match(r"(\d{6}) ", printed("manager")).group(1)
    assert sign_in(client, current)["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_seeding_again_tops_the_recovery_codes_up_and_keeps_the_app(demo_staff):
    app = TOTPDevice.objects.get(user=demo_staff["manager"])
    StaticToken.objects.filter(device__user=demo_staff["manager"]).first().delete()
    ensure_demo_users()
    assert TOTPDevice.objects.get(user=demo_staff["manager"]) == app
    assert StaticToken.objects.filter(device__user=demo_staff["manager"]).count() == 5
    assert not TOTPDevice.objects.filter(user=demo_staff["agent"]).exists()  # agents sign in with a password


def test_the_printed_code_is_one_the_desk_accepts_for_long_enough_to_type(demo_staff):
    app = TOTPDevice.objects.get(user=demo_staff["manager"])
    period = 1_000_000
    start = period * app.step
    assert usable_code(app, now=start + 5) == (code_for_period(app, period), 25)
    assert usable_code(app, now=start + 25) == (code_for_period(app, period + 1), 35)  # 5 s left: the next one
    app.last_t = period  # this period's code was used
    assert usable_code(app, now=start + 5) == (code_for_period(app, period + 1), 55)
    app.last_t = period + 1
    assert usable_code(app, now=start + 5) is None
